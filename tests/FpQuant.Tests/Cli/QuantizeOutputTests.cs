using FpQuant.Onnx;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Cli;

/// <summary>quantize writes the model and its sidecar together: both or neither.</summary>
[Collection(CliCollection.Name)]
[Trait("Category", "Quick")]
public class QuantizeOutputTests
{
    [Fact]
    public void SidecarPathIsAFolder_LeavesNoModel()
    {
        using var tmp = new TempDir();
        OnnxModelFile.Save(TinyModels.MatMulWeight(), tmp.File("m.onnx"));
        Directory.CreateDirectory(tmp.File("q.json"));
        var r = CliHarness.Run("quantize", "--model", tmp.File("m.onnx"), "--preset", "onnx-dynamic", "--out",
            tmp.File("q.onnx"));
        CliHarness.AssertOneLineError(r, "q.json", "folder");
        Assert.False(File.Exists(tmp.File("q.onnx")));
        // Nothing else either: no temp files beside the targets.
        Assert.Equal(new[] { "m.onnx", "q.json" },
            Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // The same command with the folder gone writes both.
        Directory.Delete(tmp.File("q.json"));
        var ok = CliHarness.Run("quantize", "--model", tmp.File("m.onnx"), "--preset", "onnx-dynamic", "--out",
            tmp.File("q.onnx"));
        Assert.True(ok.Code == 0, ok.Err);
        Assert.True(File.Exists(tmp.File("q.onnx")) && File.Exists(tmp.File("q.json")));
        Assert.Equal(new[] { "m.onnx", "q.json", "q.onnx" },
            Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
