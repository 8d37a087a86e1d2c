using FpQuant.Checkpoints;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Pipeline;
using FpQuant.Quantization;
using FpQuant.Rendering;
using FpQuant.Tests.Support;
using Xunit.Abstractions;

namespace FpQuant.Tests.Fuzz;

/// <summary>
/// Every file reader against 2,000 deterministic mutations of its seeds (FPQUANT_FUZZ_SCALE=N runs N times as many):
/// each input loads or is refused with an FpQuantException, in bounded time and allocation.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private readonly ITestOutputHelper _out;
    private readonly FuzzFolder _tmp = new();

    public ReaderFuzzTests(ITestOutputHelper output) { _out = output; }

    public void Dispose() => _tmp.Dispose();

    /// <summary>A checkpoint is read the two ways the CLI reads one: inspect (walks every object) and the state_dict.</summary>
    private void LoadCheckpoint(byte[] input)
    {
        string path = _tmp.File("fuzz.pth");
        File.WriteAllBytes(path, input);
        try { CheckpointInspector.Inspect(path); }
        catch (FpQuantException) { /* refused by inspect; the state_dict read below must still behave */ }
        TorchCheckpoint.LoadStateDict(path);
    }

    [Fact]
    public void CheckpointZip()
    {
        var seeds = FuzzSeeds.CheckpointZips(_tmp);
        var hostile = FuzzSeeds.HostilePickles();
        FuzzRunner.Run(_out, "checkpoint zip", seeds, (_, b) => LoadCheckpoint(b), (seed, i) => (i % 4) switch
        {
            // Whole-file mutations hit the zip layer; re-zipped pickle mutations (CRCs right) reach the unpickler.
            0 or 1 => Mutator.Mutate(seed, i),
            2 => FuzzSeeds.Rezip(seed.Bytes, pkl => Mutator.Mutate(FuzzSeed.Binary(seed.Name, pkl), i)),
            _ => i % 40 == 3 ? FuzzSeeds.Rezip(seed.Bytes, _ => hostile[i / 40 % hostile.Count])
                : FuzzSeeds.Rezip(seed.Bytes, pkl => Mutator.Mutate(FuzzSeed.Binary(seed.Name, pkl), i)),
        });
    }

    [Fact]
    public void CheckpointLegacy() =>
        FuzzRunner.Run(_out, "checkpoint legacy", FuzzSeeds.LegacyCheckpoints(), (_, b) => LoadCheckpoint(b));

    [Fact]
    public void Onnx() =>
        FuzzRunner.Run(_out, "onnx", FuzzSeeds.OnnxModels(), (_, b) =>
        {
            string path = _tmp.File("fuzz.onnx");
            File.WriteAllBytes(path, b);
            ModelInspector.Inspect(path);
        }, FuzzSeeds.MutateOnnx);

    [Fact]
    public void PngImages() =>
        FuzzRunner.Run(_out, "png", FuzzSeeds.Pngs(), (_, b) => Png.Decode(b, "fuzz.png"), FuzzSeeds.MutatePng);

    /// <summary>Depth (16-bit PNG or raw float32), mask and intrinsics, read the way a scene folder is: one file of
    /// the folder mutated per input.</summary>
    [Fact]
    public void SceneFolderDepthMaskIntrinsics()
    {
        var files = FuzzSeeds.SceneFolder();
        string dir = _tmp.File("scene");
        Directory.CreateDirectory(dir);
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(dir, name), bytes);
        var seeds = new[] { "depth.png", "mask.png", "cam_K.txt", "depth.bin" }
            .Select(n => n.EndsWith(".txt") ? FuzzSeed.OfText(n, System.Text.Encoding.ASCII.GetString(files[n])) : FuzzSeed.Binary(n, files[n], n.EndsWith(".png") ? PngBytes.Fields(files[n]) : Array.Empty<int>()))
            .ToList();
        FuzzRunner.Run(_out, "depth/mask/intrinsics", seeds, (seed, b) =>
        {
            string path = Path.Combine(dir, seed.Name);
            File.WriteAllBytes(path, b);
            try
            {
                if (seed.Name == "depth.bin")
                    FrameLoader.Load(Path.Combine(dir, "rgb.png"), path, Path.Combine(dir, "mask.png"), CameraIntrinsics.Parse(Path.Combine(dir, "cam_K.txt")));
                else
                    Scene.LoadFolder(dir);
            }
            finally { File.WriteAllBytes(path, files[seed.Name]); }
        }, (seed, i) => seed.Name.EndsWith(".png") ? FuzzSeeds.MutatePng(seed, i) : Mutator.Mutate(seed, i));
    }

    /// <summary>Textured PLYs and their texture: each file mutated in turn, both models loaded each time.</summary>
    [Fact]
    public void TexturedPlyAndTexture()
    {
        var files = FuzzSeeds.TexturedPlyFolder();
        string dir = _tmp.File("tply");
        Directory.CreateDirectory(dir);
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(dir, name), bytes);
        foreach (var model in new[] { "mesh.ply", "mesh-v.ply" })
            Assert.Equal(MeshColorSource.Texture, MeshFiles.Load(Path.Combine(dir, model)).ColorSource);
        var seeds = new List<FuzzSeed>
        {
            FuzzSeed.OfText("mesh.ply", System.Text.Encoding.ASCII.GetString(files["mesh.ply"])),
            FuzzSeed.Binary("mesh-v.ply", files["mesh-v.ply"]),
            FuzzSeed.Binary("tex.png", files["tex.png"], PngBytes.Fields(files["tex.png"])),
        };
        FuzzRunner.Run(_out, "textured ply", seeds, (seed, b) =>
        {
            string path = Path.Combine(dir, seed.Name);
            File.WriteAllBytes(path, b);
            try
            {
                // The texture's mutations reach the reader through a model naming it.
                MeshFiles.Load(Path.Combine(dir, seed.Name == "tex.png" ? "mesh.ply" : seed.Name));
            }
            finally { File.WriteAllBytes(path, files[seed.Name]); }
        }, (seed, i) => seed.Name.EndsWith(".png") ? FuzzSeeds.MutatePng(seed, i) : seed.Name == "mesh-v.ply" ? FuzzSeeds.MutatePly(seed, i) : Mutator.Mutate(seed, i));
    }

    [Fact]
    public void ObjAndMtl()
    {
        var files = FuzzSeeds.ObjFolder();
        string dir = _tmp.File("obj");
        Directory.CreateDirectory(dir);
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(dir, name), bytes);
        var seeds = new List<FuzzSeed>
        {
            FuzzSeed.OfText("mesh.obj", System.Text.Encoding.ASCII.GetString(files["mesh.obj"])),
            FuzzSeed.OfText("mesh.mtl", System.Text.Encoding.ASCII.GetString(files["mesh.mtl"])),
            FuzzSeed.Binary("tex.png", files["tex.png"], PngBytes.Fields(files["tex.png"])),
        };
        FuzzRunner.Run(_out, "obj/mtl", seeds, (seed, b) =>
        {
            string path = Path.Combine(dir, seed.Name);
            File.WriteAllBytes(path, b);
            try { MeshFiles.Load(Path.Combine(dir, "mesh.obj")); }
            finally { File.WriteAllBytes(path, files[seed.Name]); }
        }, (seed, i) => seed.Name.EndsWith(".png") ? FuzzSeeds.MutatePng(seed, i) : Mutator.Mutate(seed, i));
    }

    [Fact]
    public void Ply() =>
        FuzzRunner.Run(_out, "ply", FuzzSeeds.Plys(), (_, b) =>
        {
            string path = _tmp.File("fuzz.ply");
            File.WriteAllBytes(path, b);
            MeshFiles.Load(path);
        }, FuzzSeeds.MutatePly);

    [Fact]
    public void PresetJson() =>
        FuzzRunner.Run(_out, "preset json", FuzzSeeds.Presets(_tmp), (seed, b) =>
        {
            string path = _tmp.File("fuzz.json");
            File.WriteAllBytes(path, b);
            var o = QuantizationPresets.LoadFile(path);
            // What the quantizer does first with a preset: its op set and node selection.
            _ = o.EffectiveOpTypes;
            _ = new NodeSelector(o.Include, o.Exclude);
        });

    [Fact]
    public void Npy() =>
        FuzzRunner.Run(_out, "npy", FuzzSeeds.Npys(_tmp), (seed, b) =>
        {
            string path = _tmp.File("fuzz.npy");
            File.WriteAllBytes(path, b);
            var h = NpyFile.ReadHeader(path);
            if (h.ElementType is NpyElementType.Float32 or NpyElementType.Float16 or NpyElementType.Float64)
            {
                NpyFile.ReadFloat32(path);
                NpyFile.ReadFloat32(path, 1, 1);
            }
            else
            {
                NpyFile.ReadInt64(path);
                NpyFile.ReadInt32(path, 1);
            }
        }, FuzzSeeds.MutateNpy);

    [Fact]
    public void RawBin() =>
        FuzzRunner.Run(_out, "raw .bin", FuzzSeeds.RawTensors(), (_, b) =>
        {
            string path = _tmp.File("fuzz.bin");
            File.WriteAllBytes(path, b);
            RawTensorFile.ReadAll(path);
            RawTensorFile.Read(path, 16, "x");
        });
}
