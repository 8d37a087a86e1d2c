using FpQuant.Core;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Core;

[Trait("Category", "Quick")]
public class AtomicFileTests
{
    private static Action<Stream> Text(string s) => st => st.Write(System.Text.Encoding.UTF8.GetBytes(s));

    private static string[] Entries(TempDir d) =>
        Directory.GetFileSystemEntries(d.Path, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(d.Path, p)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Group_WritesEveryFile()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("a.onnx"), "old a");
        AtomicFile.WriteGroup((tmp.File("a.onnx"), Text("new a")), (tmp.File("sub/a.json"), Text("new json")));
        Assert.Equal("new a", File.ReadAllText(tmp.File("a.onnx")));
        Assert.Equal("new json", File.ReadAllText(tmp.File("sub/a.json")));
        Assert.Equal(new[] { "a.onnx", "sub", Path.Combine("sub", "a.json") }, Entries(tmp));
    }

    [Fact]
    public void Group_WhoseSecondTargetIsAFolder_WritesNothing()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.File("a.json"));
        var e = Assert.Throws<FpQuantException>(() =>
            AtomicFile.WriteGroup((tmp.File("a.onnx"), Text("a")), (tmp.File("a.json"), Text("j"))));
        Assert.Contains("a.json", e.Message);
        Assert.Equal(new[] { "a.json" }, Entries(tmp));
    }

    [Fact]
    public void Group_WhoseSecondWriterFails_KeepsTheOldFiles()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("a.onnx"), "old a");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteGroup(
            (tmp.File("a.onnx"), Text("new a")),
            (tmp.File("a.json"), _ => throw new InvalidOperationException("serializer failed"))));
        Assert.Equal("old a", File.ReadAllText(tmp.File("a.onnx")));
        Assert.Equal(new[] { "a.onnx" }, Entries(tmp));
    }

    [Fact]
    public void Group_WhoseSecondRenameFails_RestoresTheFirst()
    {
        // The second target turns into a folder after the checks, while its content is being written: the first file
        // is already in place when the second rename fails, and must get its old content back.
        foreach (bool firstExisted in new[] { true, false })
        {
            using var tmp = new TempDir();
            if (firstExisted) File.WriteAllText(tmp.File("a.onnx"), "old a");
            var e = Assert.Throws<FpQuantException>(() => AtomicFile.WriteGroup(
                (tmp.File("a.onnx"), Text("new a")),
                (tmp.File("a.json"), s => { Text("j")(s); Directory.CreateDirectory(tmp.File("a.json")); })));
            Assert.Contains("a.json", e.Message);
            if (firstExisted) Assert.Equal("old a", File.ReadAllText(tmp.File("a.onnx")));
            Assert.Equal(firstExisted ? new[] { "a.json", "a.onnx" } : new[] { "a.json" }, Entries(tmp));
        }
    }

    [Fact]
    public void SingleFile_ReplacesAndLeavesNoTemp()
    {
        using var tmp = new TempDir();
        AtomicFile.WriteAllText(tmp.File("x.txt"), "one");
        AtomicFile.WriteAllText(tmp.File("x.txt"), "two");
        Assert.Equal("two", File.ReadAllText(tmp.File("x.txt")));
        Assert.Equal(new[] { "x.txt" }, Entries(tmp));
        Assert.Throws<InvalidOperationException>(() =>
            AtomicFile.Write(tmp.File("x.txt"), _ => throw new InvalidOperationException("boom")));
        Assert.Equal("two", File.ReadAllText(tmp.File("x.txt")));
        Assert.Equal(new[] { "x.txt" }, Entries(tmp));
    }
}
