using FpQuant.Pipeline;
using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Data;

[Trait("Category", "Quick")]
public class DataSourceTests
{
    /// <summary>Two inputs, int64 ids and float x, both [batch x 4]: y = float(ids) + x.</summary>
    public static ModelProto IdsPlusX(long batch = 0)
    {
        var g = new GraphBuilder("ids_plus_x");
        Dim n = batch > 0 ? (Dim)batch : (Dim)"N";
        string ids = g.Input("ids", DataType.Int64, n, 4);
        string x = g.Input("x", DataType.Float, n, 4);
        string f = g.Node("Cast", "cast", new[] { ids }, ("to", (long)DataType.Float));
        g.NodeMulti("Add", "add", new[] { f, x }, new[] { "y" });
        g.Output("y", DataType.Float, n, 4);
        return g.Build();
    }

    private static void WriteIdsAndX(string dir, int samples)
    {
        Directory.CreateDirectory(dir);
        NpyFile.Write(Path.Combine(dir, "ids.npy"), Enumerable.Range(0, samples * 4).Select(i => (long)i).ToArray(),
            new long[] { samples, 4 });
        NpyFile.Write(Path.Combine(dir, "x.npy"), Enumerable.Range(0, samples * 4).Select(i => i * 0.5f).ToArray(),
            new long[] { samples, 4 });
    }

    [Fact]
    public void Npy_FeedsInt64AndFloatInputs_InBatches_UpToCount()
    {
        using var tmp = new TempDir();
        WriteIdsAndX(tmp.Path, 10);
        var batches = new NpyInputSource(tmp.Path, null, 4).Batches(IdsPlusX(), "m").ToList();
        Assert.Equal(new[] { 4, 4, 2 }, batches.Select(b => b["ids"].Samples));
        Assert.Equal(InputElementType.Int64, batches[0]["ids"].ElementType);
        Assert.Equal(InputElementType.Float, batches[0]["x"].ElementType);
        Assert.Equal(new long[] { 32, 33, 34, 35 }, ((long[])batches[2]["ids"].Data)[..4]);
        Assert.Equal(16f, ((float[])batches[2]["x"].Data)[0]);
        Assert.Equal(new[] { 4, 2 },
            new NpyInputSource(tmp.Path, 6, 4).Batches(IdsPlusX(), "m").Select(b => b["x"].Samples));
        // A model that fixes its batch at 1 is fed one sample at a time.
        Assert.Equal(Enumerable.Repeat(1, 10),
            new NpyInputSource(tmp.Path, null, 4).Batches(IdsPlusX(batch: 1), "m").Select(b => b["x"].Samples));
    }

    [Fact]
    public void Npy_Int32FileFeedsInt64Input_AndTheModelRuns()
    {
        using var tmp = new TempDir();
        NpyFile.Write(tmp.File("ids.npy"), new[] { 1, 2, 3, 4 }, new long[] { 1, 4 });
        NpyFile.Write(tmp.File("x.npy"), new[] { 0.5f, 0.5f, 0.5f, 0.5f }, new long[] { 1, 4 });
        var batch = Assert.Single(new NpyInputSource(tmp.Path).Batches(IdsPlusX(), "m"));
        var modelPath = tmp.File("m.onnx");
        OnnxModelFile.Save(IdsPlusX(), modelPath);
        using var runner =
            new FpQuant.Runtime.ModelRunner(modelPath, new FpQuant.Runtime.RuntimeSettings { IntraOpThreads = 1 });
        Assert.Equal(new[] { 1.5f, 2.5f, 3.5f, 4.5f }, runner.Run(batch)[0].Value.Data);
    }

    [Fact]
    public void Npy_BadData_OneLineNamingTheFileTheInputAndTheExpectedShape()
    {
        using var tmp = new TempDir();
        var model = IdsPlusX();
        string Error(Action a) => Assert.Throws<FpQuantException>(a).Message;

        // Wrong shape: 5 features where the input has 4.
        WriteIdsAndX(tmp.Path, 3);
        NpyFile.Write(tmp.File("x.npy"), new float[15], new long[] { 3, 5 });
        var e = Error(() => new NpyInputSource(tmp.Path).Batches(model, "m").ToList());
        Assert.Contains("x.npy", e); Assert.Contains("'x'", e); Assert.Contains("float32 [N x 4]",
            e); Assert.Contains("(3, 5)", e);

        // Wrong type: float ids.
        WriteIdsAndX(tmp.Path, 3);
        NpyFile.Write(tmp.File("ids.npy"), new float[12], new long[] { 3, 4 });
        e = Error(() => new NpyInputSource(tmp.Path).Batches(model, "m").ToList());
        Assert.Contains("ids.npy", e); Assert.Contains("'ids'", e); Assert.Contains("int64 [N x 4]", e);

        // Missing file.
        File.Delete(tmp.File("ids.npy"));
        e = Error(() => new NpyInputSource(tmp.Path).Batches(model, "m").ToList());
        Assert.Contains("ids.npy", e); Assert.Contains("'ids'", e); Assert.Contains("int64 [N x 4]", e);

        // Different sample counts.
        WriteIdsAndX(tmp.Path, 3);
        NpyFile.Write(tmp.File("x.npy"), new float[8], new long[] { 2, 4 });
        e = Error(() => new NpyInputSource(tmp.Path).Batches(model, "m").ToList());
        Assert.Contains("x.npy", e); Assert.Contains("ids.npy", e);

        // Empty folder.
        using var empty = new TempDir();
        e = Error(() => new NpyInputSource(empty.Path).Batches(model, "m").ToList());
        Assert.Contains(empty.Path, e); Assert.Contains("ids.npy (int64 [N x 4]",
            e); Assert.Contains("x.npy (float32 [N x 4]", e);

        Assert.DoesNotContain('\n', e);
    }

    /// <summary>One float image input [1 x 3 x 16 x 16] (or NHWC), passed through.</summary>
    private static ModelProto ImageModel(bool nhwc = false)
    {
        var g = new GraphBuilder("image");
        string x = nhwc ? g.Input("image", DataType.Float, 1, 16, 16, 3)
            : g.Input("image", DataType.Float, 1, 3, 16, 16);
        g.NodeMulti("Identity", "id", new[] { x }, new[] { "out" });
        if (nhwc) g.Output("out", DataType.Float, 1, 16, 16, 3); else g.Output("out", DataType.Float, 1, 3, 16, 16);
        return g.Build();
    }

    private static void Solid(string path, int w, int h, byte r, byte g, byte b)
    {
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) { rgb[3 * i] = r; rgb[3 * i + 1] = g; rgb[3 * i + 2] = b; }
        ImageFile.Save(path, rgb, w, h);
    }

    [Fact]
    public void Images_ScaleChannelOrderMeanStdLayout_AsAsked()
    {
        using var tmp = new TempDir();
        Solid(tmp.File("a.png"), 40, 30, 200, 100, 50);
        SyntheticPhotos.WriteFolder(tmp.Path, 2, firstSeed: 7); // a PNG and a JPEG of other sizes
        var options = new ImageOptions { Scale = 1, Bgr = true, Mean = new float[] { 10, 20, 30 },
            Std = new float[] { 2, 2, 2 } };
        var batches = new ImageInputSource(tmp.Path, null, options, 8).Batches(ImageModel(), "m").ToList();
        Assert.Equal(3, batches.Count); // fixed batch of 1
        var first = batches[0]["image"];
        Assert.Equal(new[] { 1, 3, 16, 16 }, first.Shape);
        var d = (float[])first.Data;
        // a.png sorts first: B, G, R planes of (pixel - mean) / std.
        Assert.Equal((50 - 10) / 2f, d[0]); Assert.Equal((100 - 20) / 2f, d[256]); Assert.Equal((200 - 30) / 2f,
            d[512 + 255]);

        var nhwc = new ImageInputSource(tmp.Path, 1, new ImageOptions(), 8).Batches(ImageModel(nhwc: true), "m")
            .Single()["image"];
        Assert.Equal(new[] { 1, 16, 16, 3 }, nhwc.Shape);
        var n = (float[])nhwc.Data;
        Assert.Equal(200 / 255f, n[0], 5); Assert.Equal(100 / 255f, n[1], 5); Assert.Equal(50 / 255f, n[2], 5);
    }

    [Fact]
    public void Images_MeanImageFromAnOnnxInitializer_IsSubtracted()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.File("img"));
        Solid(tmp.File("img/a.png"), 16, 16, 100, 100, 100);
        var g = new GraphBuilder("prep");
        string x = g.Input("x", DataType.Float, 1, 3, 16, 16);
        var mean =
            new FloatTensor(new[] { 1, 3, 16, 16 }, Enumerable.Range(0, 768).Select(i => (float)(i % 7)).ToArray());
        string m = g.Initializer("MeanImage", mean);
        g.NodeMulti("Sub", "sub", new[] { x, m }, new[] { "y" });
        g.Output("y", DataType.Float, 1, 3, 16, 16);
        OnnxModelFile.Save(g.Build(), tmp.File("prep.onnx"));
        var options = new ImageOptions { Scale = 1, MeanImage = tmp.File("prep.onnx") };
        var d = (float[])new ImageInputSource(tmp.File("img"), null, options).Batches(ImageModel(), "m")
            .Single()["image"].Data;
        for (int i = 0; i < 768; i++) Assert.Equal(100f - i % 7, d[i]);
    }

    [Fact]
    public void Images_BadData_OneLineNamingTheFolderOrFile()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<FpQuantException>(() =>
            new ImageInputSource(tmp.Path, null, new ImageOptions()).Batches(ImageModel(), "m").ToList()).Message;
        Assert.Contains(tmp.Path, e); Assert.Contains("'image'", e); Assert.Contains("float32 [1 x 3 x 16 x 16]", e);
        File.WriteAllText(tmp.File("broken.png"), "not a png");
        e = Assert.Throws<FpQuantException>(() =>
            new ImageInputSource(tmp.Path, null, new ImageOptions()).Batches(ImageModel(), "m").ToList()).Message;
        Assert.Contains("broken.png", e);
        e = Assert.Throws<FpQuantException>(() =>
            new ImageInputSource(tmp.Path, null, new ImageOptions()).Batches(IdsPlusX(), "m").ToList()).Message;
        Assert.Contains("'ids'", e); Assert.Contains("npy:DIR", e);
    }

    /// <summary>BERT's three int64 inputs [batch x sequence]; the output adds them as floats.</summary>
    public static ModelProto BertInputs()
    {
        var g = new GraphBuilder("bert_inputs");
        var names = new[] { "input_ids", "attention_mask", "token_type_ids" };
        var casts = names.Select(n => g.Node("Cast", n + "/cast",
            new[] { g.Input(n, DataType.Int64, "batch", "sequence") }, ("to", (long)DataType.Float))).ToList();
        string s = g.Node("Add", "add0", new[] { casts[0], casts[1] });
        g.NodeMulti("Add", "add1", new[] { s, casts[2] }, new[] { "sum" });
        g.Output("sum", DataType.Float, "batch", "sequence");
        return g.Build();
    }

    [Fact]
    public void Text_WordPieceIdsPaddedToTheLongest_WithMaskAndTypes()
    {
        using var tmp = new TempDir();
        File.WriteAllLines(tmp.File("s.txt"), new[] { "Hello world", "", "the the the the the the the the the the" });
        var src = new TextInputSource(tmp.File("s.txt"), null,
            new TextOptions { Vocab = TrainedModels.MiniLmVocab, MaxLength = 8 }, 8);
        var b = Assert.Single(src.Batches(BertInputs(), "m"));
        Assert.Equal(new[] { 2, 8 }, b["input_ids"].Shape);
        var ids = (long[])b["input_ids"].Data;
        // [CLS] hello world [SEP] and padding; the long line is cut to 6 tokens between [CLS] and [SEP].
        Assert.Equal(new long[] { 101, 7592, 2088, 102, 0, 0, 0, 0 }, ids[..8]);
        Assert.Equal(new long[] { 101, 1996, 1996, 1996, 1996, 1996, 1996, 102 }, ids[8..]);
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, (long[])b["attention_mask"].Data);
        Assert.All((long[])b["token_type_ids"].Data, v => Assert.Equal(0, v));
        Assert.Equal(InputElementType.Int64, b["attention_mask"].ElementType);
    }

    [Fact]
    public void Text_BadData_OneLine()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("empty.txt"), "\n\n");
        var opts = new TextOptions { Vocab = TrainedModels.MiniLmVocab };
        var e = Assert.Throws<FpQuantException>(() =>
            new TextInputSource(tmp.File("empty.txt"), null, opts).Batches(BertInputs(), "m").ToList()).Message;
        Assert.Contains("empty.txt", e);
        File.WriteAllText(tmp.File("s.txt"), "a sentence\n");
        e = Assert.Throws<FpQuantException>(() => new TextInputSource(tmp.File("s.txt"), null, new TextOptions())
            .Batches(BertInputs(), tmp.File("model.onnx")).ToList()).Message;
        Assert.Contains("vocab.txt", e); Assert.Contains("TextOptions.Vocab", e);
        e = Assert.Throws<FpQuantException>(() =>
            new TextInputSource(tmp.File("s.txt"), null, opts).Batches(IdsPlusX(), "m").ToList()).Message;
        Assert.Contains("'ids'", e);
    }

    [Fact]
    public void Spec_ParsesEveryKind_AndRefusesOthers()
    {
        var o = new DataOptions { BatchSize = 4 };
        Assert.Equal(5, ((NpyInputSource)InputSpec.Parse("npy:/some/dir:5", o, FoundationPoseInputs.Kinds)).Count);
        Assert.Equal("/some/dir",
            ((NpyInputSource)InputSpec.Parse("npy:/some/dir", o, FoundationPoseInputs.Kinds)).Folder);
        Assert.IsType<ImageInputSource>(InputSpec.Parse("images:/x", o, FoundationPoseInputs.Kinds));
        Assert.Equal(3, ((TextInputSource)InputSpec.Parse("text:/x/s.txt:3", o, FoundationPoseInputs.Kinds)).Count);
        Assert.IsType<FpQuant.Pipeline.SyntheticInputSource>(InputSpec.Parse("synthetic:8:1", o,
            FoundationPoseInputs.Kinds));
        Assert.Throws<FpQuantException>(() => InputSpec.Parse("npy:", o, FoundationPoseInputs.Kinds));
        Assert.Throws<FpQuantException>(() => InputSpec.Parse("npy:/d:0", o, FoundationPoseInputs.Kinds));
        Assert.Throws<FpQuantException>(() => InputSpec.Parse("csv:/d", o, FoundationPoseInputs.Kinds));
    }
}
