using FpQuant.Checkpoints;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
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
[Trait("Category", "Heavy")]
public sealed class ReaderFuzzTests : IDisposable
{
    private readonly ITestOutputHelper _out;
    private readonly FuzzFolder _tmp = new();

    public ReaderFuzzTests(ITestOutputHelper output) { _out = output; }

    public void Dispose() => _tmp.Dispose();

    /// <summary>
    /// A checkpoint is read the two ways the CLI reads one: inspect (walks every object) and the state_dict.
    /// </summary>
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
            .Select(n => n.EndsWith(".txt") ? FuzzSeed.OfText(n, System.Text.Encoding.ASCII.GetString(files[n]))
                : FuzzSeed.Binary(n, files[n], n.EndsWith(".png") ? PngBytes.Fields(files[n]) : Array.Empty<int>()))
            .ToList();
        FuzzRunner.Run(_out, "depth/mask/intrinsics", seeds, (seed, b) =>
        {
            string path = Path.Combine(dir, seed.Name);
            File.WriteAllBytes(path, b);
            try
            {
                if (seed.Name == "depth.bin")
                    FrameLoader.Load(Path.Combine(dir, "rgb.png"), path, Path.Combine(dir, "mask.png"),
                        CameraIntrinsics.Parse(Path.Combine(dir, "cam_K.txt")));
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
        },
            (seed, i) => seed.Name.EndsWith(".png") ? FuzzSeeds.MutatePng(seed, i) : seed.Name == "mesh-v.ply"
                ? FuzzSeeds.MutatePly(seed, i) : Mutator.Mutate(seed, i));
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

    /// <summary>.npy files the two ways a user's file reaches a model: `infer --input x=FILE.npy` and `npy:DIR`
    /// calibration, on an Identity model whose input has the file's rank (axes dynamic) and kind (float or int64).
    /// Among the seeds, a file of 0 elements with an axis over 2^31 (shape (1, 0, 3000000000)), which must give
    /// one line, not an OverflowException, in both.</summary>
    [Fact]
    public void NpyThroughInferAndCalibration()
    {
        var settings = new FpQuant.Runtime.RuntimeSettings { IntraOpThreads = 1 };
        var models = new Dictionary<(int Rank, bool Float), (string Path, global::Onnx.ModelProto Model)>();
        foreach (bool isFloat in new[] { true, false })
            for (int rank = 0; rank <= 3; rank++)
            {
                var g = new GraphBuilder("id");
                var type = isFloat ? global::Onnx.TensorProto.Types.DataType.Float
                    : global::Onnx.TensorProto.Types.DataType.Int64;
                var dims = Enumerable.Range(0, rank).Select(a => (Dim)$"d{a}").ToArray();
                g.NodeMulti("Identity", "id", new[] { g.Input("x", type, dims) }, new[] { "y" });
                g.Output("y", type, dims);
                var m = g.Build();
                string path = _tmp.File($"id{rank}{(isFloat ? "f" : "i")}.onnx");
                OnnxModelFile.Save(m, path);
                models[(rank, isFloat)] = (path, m);
            }
        var seeds = FuzzSeeds.Npys(_tmp);
        var hostile = new[] { NpyElementType.Float32,
            NpyElementType.Int64 }.Select(t => NpyHeader.Format(t, new long[] { 1, 0, 3_000_000_000 })).ToList();
        string calib = _tmp.File("calib");
        Directory.CreateDirectory(calib);
        void Load(byte[] b)
        {
            string file = Path.Combine(calib, "x.npy");
            File.WriteAllBytes(file, b);
            NpyHeader h;
            try { h = NpyFile.ReadHeader(file); }
            catch (FpQuantException) { h = new NpyHeader(NpyElementType.Float32, false, new long[2], 0); }
            var (path, model) = models[(Math.Min(h.Shape.Length, 3), h.IsFloat)];
            try { FpQuant.Runtime.ModelInference.Run(path, new[] { "x=" + file }, 1, _tmp.File("out"), settings,
                npyOutputs: true); }
            catch (FpQuantException) { /* refused by infer; calibration must still behave */ }
            new FpQuant.Quantization.Calibration.NpyInputSource(calib).Batches(model, path).ToList();
        }
        // The findings themselves: one line each way, naming the file and the axis.
        foreach (var b in hostile)
        {
            var (path, model) = models[(3, b == hostile[0])];
            string file = Path.Combine(calib, "x.npy");
            File.WriteAllBytes(file, b);
            var e = Assert.Throws<FpQuantException>(() =>
                FpQuant.Runtime.ModelInference.Run(path, new[] { "x=" + file }, 1, _tmp.File("out"), settings));
            Assert.Contains(file, e.Message); Assert.Contains("3000000000", e.Message); Assert.DoesNotContain('\n',
                e.Message);
            e = Assert.Throws<FpQuantException>(() =>
                new FpQuant.Quantization.Calibration.NpyInputSource(calib).Batches(model, path).ToList());
            Assert.Contains(file, e.Message); Assert.Contains("3000000000", e.Message);
        }
        FuzzRunner.Run(_out, "npy via infer and npy:", seeds, (_, b) => Load(b),
            (seed, i) => i % 50 == 7 ? hostile[i / 50 % 2] : FuzzSeeds.MutateNpy(seed, i));
    }

    /// <summary>A BOP dataset's JSON files (models_info, scene_camera, scene_gt, scene_gt_info), one mutated at a
    /// time, read as eval reads them; among the seeds, each file with invalid UTF-8 in a key (one line,
    /// not an InvalidOperationException).</summary>
    [Fact]
    public void BopJson()
    {
        string root = _tmp.File("bop");
        string scene = Path.Combine(root, "test", "000001");
        Directory.CreateDirectory(Path.Combine(root, "models"));
        Directory.CreateDirectory(scene);
        var files = new Dictionary<string, (string Path, string Text)>
        {
            ["models_info.json"] = (Path.Combine(root, "models", "models_info.json"),
                "{\"1\": {\"diameter\": 120.5, \"min_x\": -10, \"min_y\": -10, \"min_z\": -5, \"size_x\": 20, " +
                "\"size_y\": 20, \"size_z\": 10, \"symmetries_discrete\": [[1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, " +
                "0, 0, 1]], \"symmetries_continuous\": [{\"axis\": [0, 0, 1], \"offset\": [0, 0, 0]}]}}"),
            ["scene_camera.json"] = (Path.Combine(scene, "scene_camera.json"),
                "{\"0\": {\"cam_K\": [500, 0, 320, 0, 500, 240, 0, 0, 1], \"depth_scale\": 0.1}}"),
            ["scene_gt.json"] = (Path.Combine(scene, "scene_gt.json"),
                "{\"0\": [{\"cam_R_m2c\": [1, 0, 0, 0, 1, 0, 0, 0, 1], \"cam_t_m2c\": [0, 0, 500], \"obj_id\": 1}]}"),
            ["scene_gt_info.json"] = (Path.Combine(scene, "scene_gt_info.json"),
                "{\"0\": [{\"bbox_obj\": [1, 2, 30, 40], \"bbox_visib\": [1, 2, 30, 40], \"px_count_all\": 900, " +
                "\"px_count_valid\": 900, \"px_count_visib\": 800, \"visib_fract\": 0.9}]}"),
        };
        foreach (var (p, text) in files.Values) File.WriteAllText(p, text);
        var seeds = files.Select(kv => FuzzSeed.OfText(kv.Key, kv.Value.Text)).ToList();
        // A key with bytes that are not UTF-8 (a lone continuation byte and a lead byte without its continuation).
        static byte[] InvalidKey(FuzzSeed seed)
        {
            int key = Array.IndexOf(seed.Bytes, (byte)'"') + 1;
            return seed.Bytes[..key].Concat(new byte[] { 0x80, 0xC0 }).Concat(seed.Bytes[key..]).ToArray();
        }
        void Load(FuzzSeed seed, byte[] b)
        {
            var (path, text) = files[seed.Name];
            File.WriteAllBytes(path, b);
            try { FpQuant.Datasets.BopDataset.Open(root).LoadScene(1); }
            finally { File.WriteAllText(path, text); }
        }
        foreach (var seed in seeds)
        {
            var e = Assert.Throws<FpQuantException>(() => Load(seed, InvalidKey(seed)));
            Assert.Contains(files[seed.Name].Path, e.Message); Assert.Contains("UTF-8", e.Message);
        }
        FuzzRunner.Run(_out, "bop json", seeds, Load,
            (seed, i) => i % 50 == 7 ? InvalidKey(seed) : Mutator.Mutate(seed, i));
    }

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
