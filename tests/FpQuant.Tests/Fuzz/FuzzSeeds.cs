using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using FpQuant.Checkpoints;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Fuzz;

/// <summary>
/// The seed files of the fuzz tests, all made here or committed under Fuzz/seeds (real torch.save files).
/// </summary>
public static class FuzzSeeds
{
    public static string SeedFile(string name) =>
        Path.Combine(TestPaths.RepoRoot, "tests", "FpQuant.Tests", "Fuzz", "seeds", name);

    private static readonly (string, long[])[] TinyShapes = { ("conv.weight", new long[] { 4, 3, 3, 3 }),
        ("conv.bias", new long[] { 4 }), ("fc.weight", new long[] { 2, 4 }) };

    public static List<FuzzSeed> CheckpointZips(FuzzFolder tmp)
    {
        var seeds = new List<FuzzSeed>();
        var sd = new StateDict();
        foreach (var (k, shape) in TinyShapes)
            sd.Add(k, TinyModels.Random((ulong)k.Length, 0.5f, shape.Select(d => (int)d).ToArray()));
        TorchCheckpointWriter.WriteTrainingCheckpoint(tmp.File("train.pth"), sd, withAdamState: true, epoch: 3);
        TorchCheckpointWriter.WriteTrainingCheckpoint(tmp.File("plain.pth"), sd, withAdamState: false);
        seeds.Add(ZipSeed("writer-training", File.ReadAllBytes(tmp.File("train.pth"))));
        seeds.Add(ZipSeed("writer-plain", File.ReadAllBytes(tmp.File("plain.pth"))));
        seeds.Add(ZipSeed("torch-fp16", File.ReadAllBytes(SeedFile("tiny_fp16.pth"))));
        seeds.Add(ZipSeed("torch-strided", File.ReadAllBytes(SeedFile("tiny_strided.pth"))));
        // Two views of one storage (offset, stride 0, transposed), an int64 storage, LONG1 and nested metadata.
        var p = new PickleBuilder().Proto().EmptyDict().Mark()
            .Str("model").OrderedDict().Mark()
                .Str("a").Tensor("0", "FloatStorage", 12, 0, new long[] { 3, 4 }, new long[] { 4, 1 })
                .Str("b").Tensor("0", "FloatStorage", 12, 2, new long[] { 4, 2 }, new long[] { 1, 4 })
                .Str("c").Tensor("0", "FloatStorage", 12, 5, new long[] { 3, 3 }, new long[] { 0, 1 })
                .Str("d").Tensor("1", "LongStorage", 3, 0, new long[] { 3 }, new long[] { 1 })
            .SetItems()
            .Str("epoch").Long1(7)
            .Str("meta").EmptyList().EmptyList().EmptyList().Str("deep").Op((byte)'a').Op((byte)'a').Op((byte)'a')
            .SetItems().Stop().ToArray();
        var longs = new long[] { 1, -2, 3 };
        seeds.Add(ZipSeed("views",
            PickleBuilder.TorchZip(p,
                new[] { ("0", PickleBuilder.Floats(12)),
                    ("1", System.Runtime.InteropServices.MemoryMarshal.AsBytes(longs.AsSpan()).ToArray()) })));
        return seeds;
    }

    /// <summary>
    /// Offsets of a zip's size, count and offset fields (local headers, central directory, end record).
    /// </summary>
    private static FuzzSeed ZipSeed(string name, byte[] zip)
    {
        var f = new List<int>();
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            if (zip[i] != 'P' || zip[i + 1] != 'K') continue;
            if (zip[i + 2] == 3 && zip[i + 3] == 4) f.AddRange(new[] { i + 18, i + 22, i + 26, i + 28 });
            else if (zip[i + 2] == 1 && zip[i + 3] == 2) f.AddRange(new[] { i + 20, i + 24, i + 28, i + 42 });
            else if (zip[i + 2] == 5 && zip[i + 3] == 6) f.AddRange(new[] { i + 8, i + 10, i + 12, i + 16 });
        }
        return FuzzSeed.Binary(name, zip, f.ToArray());
    }

    /// <summary>
    /// The seed's entries with data.pkl replaced (written with correct CRCs, so the pickle itself is fuzzed).
    /// </summary>
    public static byte[] Rezip(byte[] zip, Func<byte[], byte[]> newPickle)
    {
        using var src = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var ms = new MemoryStream();
        using (var dst = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var e in src.Entries)
            {
                using var es = e.Open();
                var data = new MemoryStream();
                es.CopyTo(data);
                var bytes = e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) ? newPickle(data.ToArray())
                    : data.ToArray();
                var ne = dst.CreateEntry(e.FullName, CompressionLevel.NoCompression);
                ne.LastWriteTime = e.LastWriteTime;
                using var ns = ne.Open();
                ns.Write(bytes);
            }
        return ms.ToArray();
    }

    /// <summary>Pickles no torch.save writes: self-containing, deeply nested, huge, lying about lengths.</summary>
    public static List<byte[]> HostilePickles()
    {
        var list = new List<byte[]>();
        // A list that contains itself, a dict that is its own value, a tuple holding the list that holds it.
        list.Add(new PickleBuilder().Proto().EmptyList().Put(0).Get(0).Append().Stop().ToArray());
        list.Add(new PickleBuilder().Proto().EmptyDict().Put(0).Str("model").Get(0).SetItem().Stop().ToArray());
        list.Add(new PickleBuilder().Proto().EmptyList().Put(0).Get(0).Tuple1().Append().Stop().ToArray());
        // Deep nesting: lists and tuples 20,000 deep (the regression tests go to a million).
        var deep = new PickleBuilder().Proto();
        for (int i = 0; i < 20_000; i++) deep.EmptyList();
        for (int i = 0; i < 19_999; i++) deep.Append();
        list.Add(deep.Stop().ToArray());
        var tuples = new PickleBuilder().Proto().EmptyTuple();
        for (int i = 0; i < 20_000; i++) tuples.Tuple1();
        list.Add(tuples.Stop().ToArray());
        // Shared containers doubling at each level: 2^60 paths through 60 nodes.
        var dag = new PickleBuilder().Proto().Str("storage-less leaf");
        for (int i = 0; i < 60; i++) dag.Put(0).Get(0).Op(0x86); // TUPLE2 of the same object twice
        list.Add(dag.Stop().ToArray());
        // A dict of 20,000 keys, every one a string the error would quote.
        var big = new PickleBuilder().Proto().EmptyDict().Mark();
        for (int i = 0; i < 20_000; i++) big.Str("key number " + i).Int(i);
        list.Add(big.SetItems().Stop().ToArray());
        // Lengths that claim more than the stream holds.
        list.Add(new PickleBuilder().Proto().Op((byte)'X').U32(0xFFFFFFF0).Stop().ToArray());
        list.Add(new PickleBuilder().Proto().Op(0x8d).U64(1UL << 30).Stop().ToArray());
        list.Add(new PickleBuilder().Proto().Op(0x8b).U32(0xFFFFFFFF).Stop().ToArray());
        list.Add(new PickleBuilder().Proto().Op((byte)'T').U32(0x80000000).Stop().ToArray());
        return list;
    }

    public static List<FuzzSeed> LegacyCheckpoints()
    {
        var seeds = new List<FuzzSeed> { FuzzSeed.Binary("torch-legacy",
            File.ReadAllBytes(SeedFile("tiny_legacy_format.pth"))) };
        var root = PickleBuilder.StateDict(TinyShapes);
        var storages = TinyShapes.Select((t, i) =>
            (i.ToString(), PickleBuilder.Floats(t.Item2.Aggregate(1L, (a, b) => a * b)), 4)).ToList();
        var bytes = PickleBuilder.Legacy(root, storages);
        // The int64 element count before each storage's data.
        var fields = new List<int>();
        int end = bytes.Length;
        for (int i = storages.Count - 1; i >= 0; i--) { end -= storages[i].Item2.Length + 8; fields.Add(end); }
        seeds.Add(FuzzSeed.Binary("built-legacy", bytes, fields.ToArray()));
        return seeds;
    }

    public static List<FuzzSeed> OnnxModels() => new()
    {
        FuzzSeed.Binary("conv-relu", OnnxModelFile.Serialize(TinyModels.Conv(true))),
        FuzzSeed.Binary("matmul", OnnxModelFile.Serialize(TinyModels.MatMulWeight())),
        FuzzSeed.Binary("gemm", OnnxModelFile.Serialize(TinyModels.Gemm())),
        FuzzSeed.Binary("layernorm", OnnxModelFile.Serialize(TinyModels.AddThenLayerNorm())),
    };

    /// <summary>Half the ONNX inputs are byte mutations; the other half edit the graph so the protobuf still parses:
    /// renamed initializers and node inputs, duplicated opset domains, initializers and nodes, removed nodes, odd
    /// dimensions, element types and data lengths.</summary>
    public static byte[] MutateOnnx(FuzzSeed seed, int i)
    {
        if (i % 2 == 0) return Mutator.Mutate(seed, i);
        var rng = new Random(i * 31 + 5);
        var m = global::Onnx.ModelProto.Parser.ParseFrom(seed.Bytes);
        var g = m.Graph;
        long[] odd = { -1, 0, int.MaxValue, uint.MaxValue, long.MaxValue, 1L << 40 };
        for (int round = 1 + rng.Next(2); round > 0; round--)
            switch (rng.Next(12))
            {
                case 0: m.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Domain = rng.Next(2) == 0 ? ""
                    : "ai.onnx", Version = 1 + rng.Next(20) }); break;
                case 1: if (g.Initializer.Count > 0)
                    g.Initializer[rng.Next(g.Initializer.Count)].Name += "_renamed"; break;
                case 2: { var n = g.Node[rng.Next(g.Node.Count)]; if (n.Input.Count > 0)
                    n.Input[rng.Next(n.Input.Count)] = "nowhere"; break; }
                case 3: if (g.Node.Count > 1) g.Node.RemoveAt(rng.Next(g.Node.Count)); break;
                case 4: if (g.Initializer.Count > 0)
                    g.Initializer.Add(g.Initializer[rng.Next(g.Initializer.Count)].Clone()); break;
                case 5: { if (g.Initializer.Count == 0)
                    break; var t = g.Initializer[rng.Next(g.Initializer.Count)]; if (t.Dims.Count > 0)
                        t.Dims[rng.Next(t.Dims.Count)] =
                            odd[rng.Next(odd.Length)]; else t.Dims.Add(odd[rng.Next(odd.Length)]); break; }
                case 6: if (g.Initializer.Count > 0)
                    g.Initializer[rng.Next(g.Initializer.Count)].DataType =
                        new[] { 0, 2, 7, 10, 16, 99, -1 }[rng.Next(7)]; break;
                case 7: { if (g.Initializer.Count == 0)
                    break; var t = g.Initializer[rng.Next(g.Initializer.Count)]; t.RawData =
                        Google.Protobuf.ByteString.CopyFrom(t.RawData.Span[..(t.RawData.Length / 2)]); break; }
                case 8: g.Node.Add(g.Node[rng.Next(g.Node.Count)].Clone()); break;
                case 9: if (g.Output.Count > 0) g.Output[0].Name = "unproduced"; break;
                case 10: { var n = g.Node[rng.Next(g.Node.Count)]; n.Input.Clear(); break; }
                default: { var v = g.Input.Count > 0 ? g.Input[0]
                    : null; var dims = v?.Type?.TensorType?.Shape?.Dim; if (dims is { Count: > 0 })
                        dims[rng.Next(dims.Count)].DimValue = odd[rng.Next(odd.Length)]; break; }
            }
        var bytes = OnnxModelFile.Serialize(m);
        return i % 6 == 1 ? Mutator.Mutate(FuzzSeed.Binary(seed.Name, bytes), i) : bytes;
    }

    public static List<FuzzSeed> Pngs()
    {
        var seeds = new List<FuzzSeed>();
        void Add(string name, byte[] png) => seeds.Add(FuzzSeed.Binary(name, png, PngBytes.Fields(png)));
        ushort[] Samples(int n, int max) => Enumerable.Range(0, n).Select(i => (ushort)(i * 37 % (max + 1))).ToArray();
        for (int f = 0; f <= 4; f++) Add($"gray8-filter{f}", Png.Encode(new PngImage(9, 7, 1, 8, Samples(63, 255)), f));
        Add("gray16", Png.Encode(new PngImage(8, 6, 1, 16, Samples(48, 65535)), 4));
        Add("rgb8", Png.Encode(new PngImage(7, 5, 3, 8, Samples(105, 255)), 3));
        Add("rgba16", Png.Encode(new PngImage(5, 4, 4, 16, Samples(80, 65535)), 2));
        Add("gray-alpha8", Png.Encode(new PngImage(6, 6, 2, 8, Samples(72, 255)), 1));
        // Palette, 4 bits per pixel: 6 pixels a row = 3 bytes, plus the filter byte.
        var pal = Enumerable.Range(0, 16 * 3).Select(i => (byte)(i * 5)).ToArray();
        var rows = new byte[5 * 4];
        for (int y = 0; y < 5; y++) for (int x = 1; x < 4; x++) rows[y * 4 + x] = (byte)((y * 3 + x) * 17);
        Add("palette4", PngBytes.Build(6, 5, 4, 3, pal, rows));
        // 1-bit gray: 10 pixels a row = 2 bytes.
        var bits = new byte[4 * 3];
        for (int y = 0; y < 4; y++) { bits[y * 3 + 1] = 0xA5; bits[y * 3 + 2] = 0xC0; }
        Add("gray1", PngBytes.Build(10, 4, 1, 0, null, bits));
        return seeds;
    }

    /// <summary>
    /// A PNG mutation, with its CRCs fixed half of the time so the fields behind the CRC get exercised.
    /// </summary>
    public static byte[] MutatePng(FuzzSeed seed, int i)
    {
        var m = Mutator.Mutate(seed, i);
        return i % 2 == 0 ? PngBytes.FixCrcs(m) : m;
    }

    /// <summary>
    /// A 12x10 scene: rgb.png, depth.png (16-bit mm), depth.bin (float32 m), mask.png, cam_K.txt, mesh.obj.
    /// </summary>
    public static Dictionary<string, byte[]> SceneFolder()
    {
        int w = 12, h = 10, n = w * h;
        var rgb = new ushort[3 * n];
        var depth = new ushort[n];
        var mask = new ushort[n];
        var depthBin = new float[n];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                for (int c = 0; c < 3; c++) rgb[3 * i + c] = (ushort)((x * 20 + y * 7 + c * 50) % 256);
                bool inside = x >= 4 && x < 8 && y >= 3 && y < 7;
                mask[i] = inside ? (ushort)255 : (ushort)0;
                depth[i] = inside ? (ushort)500 : (ushort)800;
                depthBin[i] = depth[i] / 1000f;
            }
        return new Dictionary<string, byte[]>
        {
            ["rgb.png"] = Png.Encode(new PngImage(w, h, 3, 8, rgb)),
            ["depth.png"] = Png.Encode(new PngImage(w, h, 1, 16, depth)),
            ["mask.png"] = Png.Encode(new PngImage(w, h, 1, 8, mask)),
            ["depth.bin"] = System.Runtime.InteropServices.MemoryMarshal.AsBytes(depthBin.AsSpan()).ToArray(),
            ["cam_K.txt"] = Encoding.ASCII.GetBytes("20 0 6\n0 20 5\n0 0 1\n"),
            ["mesh.obj"] = Encoding.ASCII.GetBytes(CubeObj(0.05, null)),
        };
    }

    /// <summary>
    /// A cube of side 2*half with texture coordinates and normals, optionally naming a material library.
    /// </summary>
    public static string CubeObj(double half, string? mtllib)
    {
        var sb = new StringBuilder();
        if (mtllib != null) sb.Append($"mtllib {mtllib}\nusemtl cube\n");
        for (int i = 0; i < 8; i++)
            sb.Append(string.Create(CultureInfo.InvariantCulture,
                $"v {((i & 1) != 0 ? half : -half)} {((i & 2) != 0 ? half : -half)} " +
                $"{((i & 4) != 0 ? half : -half)}\n"));
        sb.Append("vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n");
        sb.Append("vn -1 0 0\nvn 1 0 0\nvn 0 -1 0\nvn 0 1 0\nvn 0 0 -1\nvn 0 0 1\n");
        sb.Append("f 1/1/1 5/2/1 7/3/1 3/4/1\nf 2/1/2 4/2/2 8/3/2 6/4/2\nf 1/1/3 2/2/3 6/3/3 5/4/3\n");
        sb.Append("f 3/1/4 7/2/4 8/3/4 4/4/4\nf 1/1/5 3/2/5 4/3/5 2/4/5\nf 5/1/6 6/2/6 8/3/6 7/4/6\n");
        return sb.ToString();
    }

    public static Dictionary<string, byte[]> ObjFolder()
    {
        var tex = new ushort[8 * 8 * 3];
        for (int i = 0; i < tex.Length; i++) tex[i] = (ushort)(i * 11 % 256);
        return new Dictionary<string, byte[]>
        {
            ["mesh.obj"] = Encoding.ASCII.GetBytes(CubeObj(0.05, "mesh.mtl")),
            ["mesh.mtl"] = Encoding.ASCII.GetBytes("# material\nnewmtl cube\nKd 0.8 0.4 0.2\nmap_Kd tex.png\n"),
            ["tex.png"] = Png.Encode(new PngImage(8, 8, 3, 8, tex)),
        };
    }

    /// <summary>A textured PLY as BOP ships models, with its texture beside it: mesh.ply (ascii, per-face texcoord
    /// lists), mesh-v.ply (binary, per-vertex texture_u / texture_v), both naming tex.png in a TextureFile
    /// comment.</summary>
    public static Dictionary<string, byte[]> TexturedPlyFolder()
    {
        var tex = new ushort[8 * 8 * 3];
        for (int i = 0; i < tex.Length; i++) tex[i] = (ushort)(i * 13 % 256);
        var ci = CultureInfo.InvariantCulture;
        var ascii = new StringBuilder("ply\nformat ascii 1.0\ncomment TextureFile tex.png\nelement vertex " +
            "4\nproperty float x\nproperty float y\nproperty float z\n" +
            "element face 2\nproperty list uchar int vertex_indices\nproperty list uchar float texcoord\nend_header\n");
        float[][] v = { new[] { 0f, 0f }, new[] { 0.1f, 0f }, new[] { 0.1f, 0.1f }, new[] { 0f, 0.1f } };
        foreach (var p in v) ascii.Append(ci, $"{p[0]} {p[1]} 0\n");
        ascii.Append("3 0 1 2 6 0 0 1 0 1 1\n3 0 2 3 6 0 0 1 1 0 1\n");
        var bin = new MemoryStream();
        bin.Write(Encoding.ASCII.GetBytes("ply\nformat binary_little_endian 1.0\ncomment TextureFile " +
            "tex.png\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\n" +
            "property float texture_u\nproperty float texture_v\nelement face 2\nproperty list uchar int " +
            "vertex_indices\nend_header\n"));
        var w = new BinaryWriter(bin);
        foreach (var p in v) { w.Write(p[0]); w.Write(p[1]); w.Write(0f); w.Write(p[0] * 10); w.Write(p[1] * 10); }
        foreach (var f in new[] { new[] { 0, 1, 2 }, new[] { 0, 2, 3 } }) { w.Write((byte)3); foreach (int i in f)
            w.Write(i); }
        w.Flush();
        return new Dictionary<string, byte[]>
        {
            ["mesh.ply"] = Encoding.ASCII.GetBytes(ascii.ToString()),
            ["mesh-v.ply"] = bin.ToArray(),
            ["tex.png"] = Png.Encode(new PngImage(8, 8, 3, 8, tex)),
        };
    }

    /// <summary>
    /// A cube as PLY: x y z, nx ny nz, red green blue (uchar), s t; quads as uchar-counted int lists.
    /// </summary>
    public static List<FuzzSeed> Plys()
    {
        string Header(string format) =>
            $"ply\nformat {format} 1.0\ncomment fuzz seed\nelement vertex 8\nproperty float x\nproperty float " +
                $"y\nproperty float z\n" +
            "property float nx\nproperty float ny\nproperty float nz\nproperty uchar red\nproperty uchar " +
            "green\nproperty uchar blue\n" +
            "property float s\nproperty float t\nelement face 6\nproperty list uchar int vertex_indices\nend_header\n";
        int[][] faces = { new[] { 0, 4, 6, 2 }, new[] { 1, 3, 7, 5 }, new[] { 0, 1, 5, 4 }, new[] { 2, 6, 7, 3 },
            new[] { 0, 2, 3, 1 }, new[] { 4, 5, 7, 6 } };
        (float[] F, byte[] C) Vertex(int i)
        {
            float x = (i & 1) != 0 ? 0.05f : -0.05f, y = (i & 2) != 0 ? 0.05f : -0.05f,
                z = (i & 4) != 0 ? 0.05f : -0.05f;
            return (new[] { x, y, z, x * 20, y * 20, z * 20 },
                new[] { (byte)(i * 30), (byte)(200 - i * 10), (byte)77 });
        }
        var ascii = new StringBuilder(Header("ascii"));
        for (int i = 0; i < 8; i++)
        {
            var (f, c) = Vertex(i);
            ascii.Append(string.Join(' ', f.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + $" {c[0]} " +
                $"{c[1]} {c[2]} {(i & 1)} {(i & 2) / 2}\n");
        }
        foreach (var face in faces) ascii.Append("4 " + string.Join(' ', face) + "\n");
        var seeds = new List<FuzzSeed> { FuzzSeed.OfText("ascii", ascii.ToString()) };
        foreach (bool big in new[] { false, true })
        {
            var ms = new MemoryStream();
            ms.Write(Encoding.ASCII.GetBytes(Header(big ? "binary_big_endian" : "binary_little_endian")));
            var fields = new List<int>();
            var b4 = new byte[4];
            void F(float v) { if (big)
                BinaryPrimitives.WriteSingleBigEndian(b4, v); else BinaryPrimitives.WriteSingleLittleEndian(b4,
                    v); ms.Write(b4); }
            void I(int v) { if (big)
                BinaryPrimitives.WriteInt32BigEndian(b4, v); else BinaryPrimitives.WriteInt32LittleEndian(b4,
                    v); ms.Write(b4); }
            for (int i = 0; i < 8; i++)
            {
                var (f, c) = Vertex(i);
                foreach (var v in f) F(v);
                ms.Write(c);
                F(i & 1); F((i & 2) / 2);
            }
            foreach (var face in faces)
            {
                fields.Add((int)ms.Position);
                ms.WriteByte(4);
                foreach (var v in face) { fields.Add((int)ms.Position); I(v); }
            }
            seeds.Add(FuzzSeed.Binary(big ? "binary-be" : "binary-le", ms.ToArray(), fields.ToArray()));
        }
        return seeds;
    }

    /// <summary>Binary PLY: a third of the mutations go to the header, as text.</summary>
    public static byte[] MutatePly(FuzzSeed seed, int i)
    {
        if (seed.Text || i % 3 != 0) return Mutator.Mutate(seed, i);
        int end = seed.Bytes.AsSpan().IndexOf("end_header\n"u8) + "end_header\n".Length;
        var header = Mutator.Mutate(FuzzSeed.OfText(seed.Name, Encoding.ASCII.GetString(seed.Bytes, 0, end)), i);
        return header.Concat(seed.Bytes.Skip(end)).ToArray();
    }

    public static List<FuzzSeed> Presets(FuzzFolder tmp)
    {
        var seeds = new List<FuzzSeed>();
        foreach (var name in new[] { "torch-static", "onnx-static", "convs-int8", "fp16", "weights-int8",
            "torch-dynamic" })
        {
            QuantizationPresets.SaveFile(tmp.File(name + ".json"), QuantizationPresets.Get(name), name);
            seeds.Add(FuzzSeed.OfText(name, File.ReadAllText(tmp.File(name + ".json"))));
        }
        seeds.Add(FuzzSeed.OfText("root-options",
            "{\"mode\": \"static\", \"perChannel\": false, \"opTypes\": null, \"exclude\": [\"att.*\"], " +
            "\"calibration\": \"percentile\", \"percentile\": 99.9}"));
        return seeds;
    }

    /// <summary>.npy files of every element type NpyFile writes (versions as it writes them).</summary>
    public static List<FuzzSeed> Npys(FuzzFolder tmp)
    {
        var seeds = new List<FuzzSeed>();
        void Add(string name, Action<string> write)
        {
            string p = tmp.File(name + ".npy");
            write(p);
            // The header length (2 bytes after the 8-byte preamble), then the header text's numbers.
            seeds.Add(FuzzSeed.Binary(name, File.ReadAllBytes(p), 8, 9));
        }
        var f = Enumerable.Range(0, 12).Select(i => i * 0.25f).ToArray();
        Add("f32", p => NpyFile.Write(p, f, new long[] { 4, 3 }));
        Add("f16", p => NpyFile.Write(p, f.Select(x => (Half)x).ToArray(), new long[] { 2, 2, 3 }));
        Add("f64", p => NpyFile.Write(p, f.Select(x => (double)x).ToArray(), new long[] { 12 }));
        Add("i64", p => NpyFile.Write(p, new long[] { 1, -2, 3, int.MaxValue }, new long[] { 4 }));
        Add("i32", p => NpyFile.Write(p, new[] { 1, -2, 3, 4, 5, 6 }, new long[] { 3, 2 }));
        Add("u8", p => NpyFile.Write(p, new byte[] { 1, 2, 3, 4 }, new long[] { 2, 2 }));
        return seeds;
    }

    /// <summary>.npy: a third of the mutations go to the header dict, as text.</summary>
    public static byte[] MutateNpy(FuzzSeed seed, int i)
    {
        if (i % 3 != 0 || seed.Bytes.Length < 10) return Mutator.Mutate(seed, i);
        int end = Math.Min(seed.Bytes.Length, 10 + BinaryPrimitives.ReadUInt16LittleEndian(seed.Bytes.AsSpan(8)));
        var header = Mutator.Mutate(FuzzSeed.OfText(seed.Name, Encoding.ASCII.GetString(seed.Bytes, 10, end - 10)), i);
        var pre = seed.Bytes[..10];
        if (i % 6 == 0)
            BinaryPrimitives.WriteUInt16LittleEndian(pre.AsSpan(8), (ushort)Math.Min(header.Length, ushort.MaxValue));
        return pre.Concat(header).Concat(seed.Bytes.Skip(end)).ToArray();
    }

    public static List<FuzzSeed> RawTensors() => new()
    {
        FuzzSeed.Binary("16-floats", PickleBuilder.Floats(16)),
        FuzzSeed.Binary("special-floats",
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(new[] { float.NaN, float.PositiveInfinity, -0f,
                float.Epsilon, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }.AsSpan()).ToArray()),
    };
}
