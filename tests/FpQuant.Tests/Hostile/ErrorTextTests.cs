using FpQuant.Core;

namespace FpQuant.Tests.Hostile;

[Trait("Category", "Quick")]
public class ErrorTextTests
{
    [Fact]
    public void OneLine_CollapsesControlCharacters_AndCapsTheLength()
    {
        Assert.Equal("a b c", ErrorText.OneLine("a\n\r\tb \u0000 c\n"));
        var longText = new string('x', 5000);
        var capped = ErrorText.OneLine(longText);
        Assert.True(capped.Length <= ErrorText.MaxLength + 40);
        Assert.EndsWith("(4000 more characters)", capped);
        Assert.Equal("short", ErrorText.OneLine("short"));
    }

    [Fact]
    public void FpQuantException_MessagesAreAlwaysOneCappedLine()
    {
        var e = new FpQuantException("file 'a\nb': " + new string('k', 100_000));
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.Message.Length <= ErrorText.MaxLength + 40);
        Assert.StartsWith("file 'a b': kkk", e.Message);
    }

    [Fact]
    public void Quote_ShowsTheExactValue_OnOneShortLine()
    {
        Assert.Equal("OrderedDict ", ErrorText.Quote("OrderedDict "));
        Assert.Equal("a\\nb\\tc\\u0001", ErrorText.Quote("a\nb\tc\u0001"));
        Assert.Equal("\U0001F600", ErrorText.Quote("\U0001F600"));
        var q = ErrorText.Quote(new string('n', 500), 80);
        Assert.StartsWith(new string('n', 80) + "...", q);
        Assert.EndsWith("(420 more characters)", q);
        var e = new FpQuantException($"name '{ErrorText.Quote("x\ny ")}' refused");
        Assert.Equal("name 'x\\ny ' refused", e.Message);
    }
}
