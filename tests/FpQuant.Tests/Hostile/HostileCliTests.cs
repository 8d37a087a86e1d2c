using System.Buffers.Binary;
using System.Text;
using FpQuant.Onnx;
using FpQuant.Tests.Cli;
using FpQuant.Tests.Fuzz;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Hostile;

/// <summary>Hostile files through the CLI: exit code 2 and one readable line naming the file, no stack trace.</summary>
[Collection(CliCollection.Name)]
[Trait("Category", "Quick")]
public sealed class HostileCliTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string p = _tmp.File(name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static void OneLine(string[] args, params string[] mustContain) =>
        CliHarness.AssertOneLineError(CliHarness.Run(args), mustContain);

    [Fact]
    public void Inspect_HostileCheckpoints()
    {
        var selfList = new PickleBuilder().Proto().EmptyList().Put(0).Get(0).Append().Stop().ToArray();
        OneLine(new[] { "inspect",
            Write("self.pth", PickleBuilder.TorchZip(selfList, Array.Empty<(string, byte[])>())) }, "self.pth",
                "contains itself");
        var tuples = new PickleBuilder().Proto().EmptyTuple();
        for (int i = 0; i < 1_000_000; i++) tuples.Tuple1();
        OneLine(new[] { "inspect",
            Write("deep.pth", PickleBuilder.TorchZip(tuples.Stop().ToArray(), Array.Empty<(string, byte[])>())) },
                "deep.pth", "nests");
        var huge = new PickleBuilder().Proto().Op((byte)'X').U32(0xFFFFFFFF).Stop().ToArray();
        OneLine(new[] { "inspect", Write("len.pth", PickleBuilder.TorchZip(huge, Array.Empty<(string, byte[])>())) },
            "len.pth", "claims");
        var keys = new PickleBuilder().Proto().EmptyDict().Mark();
        for (int i = 0; i < 20_000; i++) keys.Str("key\nwith a newline " + i).Int(i);
        var r = CliHarness.Run("inspect",
            Write("keys.pth",
                PickleBuilder.TorchZip(keys.SetItems().Stop().ToArray(), Array.Empty<(string, byte[])>())));
        CliHarness.AssertOneLineError(r, "keys.pth", "20000 entries");
        Assert.True(r.Err.Length < 1200, $"{r.Err.Length} characters");
        Assert.EndsWith("\n", r.Err);
    }

    [Fact]
    public void Export_WithAHostileCheckpoint()
    {
        var p = new PickleBuilder().Proto().OrderedDict().Mark().Str("w")
            .Tensor("0", "FloatStorage", -1, 0, new long[] { 2 }, new long[] { 1 }).SetItems().Stop().ToArray();
        OneLine(new[] { "export", "--net", "refine", "--weights",
            Write("neg.pth", PickleBuilder.TorchZip(p, new[] { ("0", PickleBuilder.Floats(2)) })), "--out",
            _tmp.File("m.onnx") }, "neg.pth");
        Assert.False(File.Exists(_tmp.File("m.onnx")));
    }

    [Fact]
    public void InspectAndQuantize_HostileOnnx()
    {
        var dup = TinyModels.Conv(true);
        dup.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Domain = "", Version = 11 });
        OneLine(new[] { "inspect", Write("dup.onnx", OnnxModelFile.Serialize(dup)) }, "dup.onnx", "imported twice");
        var renamed = TinyModels.MatMulWeight();
        renamed.Graph.Initializer[0].Name = "gone";
        string path = Write("renamed.onnx", OnnxModelFile.Serialize(renamed));
        OneLine(new[] { "quantize", "--model", path, "--preset", "onnx-dynamic", "--out", _tmp.File("q.onnx") },
            "renamed.onnx", "fc.weight");
        Assert.False(File.Exists(_tmp.File("q.onnx")));
        OneLine(new[] { "quantize", "--model",
            Write("junk.onnx", Encoding.ASCII.GetBytes("\n\n\u0008\u00ff\u00ff\u00ff\u00ff\u000f")), "--preset", "fp16",
            "--out", _tmp.File("q2.onnx") }, "junk.onnx");
    }

    [Fact]
    public void Quantize_HostilePresetFiles()
    {
        string model = Write("tiny.onnx", OnnxModelFile.Serialize(TinyModels.MatMulWeight()));
        foreach (var (name, json, expect) in new[]
        {
            ("array.json", "[1, 2]", "an array"),
            ("nulls.json", "{\"exclude\": null}", "\"exclude\" is null"),
            ("lines.json", "{\n\"mode\":\n\"static\"\n,,\n}", "lines.json"),
        })
            OneLine(new[] { "quantize", "--model", model, "--preset-file", Write(name, Encoding.UTF8.GetBytes(json)),
                "--out", _tmp.File("q.onnx") }, name, expect);
    }

    [Fact]
    public void Register_HostileSceneFiles()
    {
        var files = FuzzSeeds.SceneFolder();
        string dir = _tmp.File("scene");
        Directory.CreateDirectory(dir);
        foreach (var (n, b) in files) File.WriteAllBytes(Path.Combine(dir, n), b);
        // A PLY mesh claiming 2^31-1 vertices (was OutOfMemoryException, 'internal error', exit 1).
        File.Delete(Path.Combine(dir, "mesh.obj"));
        File.WriteAllText(Path.Combine(dir, "mesh.ply"),
            "ply\nformat binary_little_endian 1.0\nelement vertex 2147483647\nproperty float x\nproperty float " +
            "y\nproperty float z\nend_header\n");
        OneLine(new[] { "register", "--scene", dir }, "mesh.ply", "2147483647");
        File.Delete(Path.Combine(dir, "mesh.ply"));
        File.WriteAllBytes(Path.Combine(dir, "mesh.obj"), files["mesh.obj"]);
        // A depth PNG whose header claims 16384 x 16384 (allocated 1 GB before reading a byte).
        var png = Png16(16384, 16384);
        File.WriteAllBytes(Path.Combine(dir, "depth.png"), png);
        OneLine(new[] { "register", "--scene", dir }, "depth.png", "16384x16384");
    }

    [Fact]
    public void Infer_RawTensorOfTheWrongSize()
    {
        string model = Write("tiny.onnx", OnnxModelFile.Serialize(TinyModels.MatMulWeight()));
        OneLine(new[] { "infer", "--model", model, "--input", "X=" + Write("x.bin", new byte[7]), "--batch", "1",
            "--out", _tmp.File("out") }, "x.bin");
    }

    private static byte[] Png16(uint w, uint h)
    {
        var png = FpQuant.Images.Png.Encode(new FpQuant.Images.PngImage(4, 4, 1, 16, new ushort[16]));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), w);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), h);
        return PngBytes.FixCrcs(png);
    }
}
