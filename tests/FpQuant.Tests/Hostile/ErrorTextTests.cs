using FpQuant.Core;

namespace FpQuant.Tests.Hostile;

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
}
