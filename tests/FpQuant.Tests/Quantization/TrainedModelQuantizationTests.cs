using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FpQuant.Tests.Quantization;

/// <summary>
/// The quantizer on trained models from NuGet: all-MiniLM-L6-v2 (opset 13, int64 inputs, Constant nodes, unfused
/// LayerNorm) and ResNet-18 (opset 8, BatchNormalization not folded, fixed batch of 1). Sentences here are looked
/// up word by word in the model's vocabulary (every word below is a whole vocabulary entry), which is all these
/// tests need; real tokenization is the text calibration source's business.
/// </summary>
[Trait("Category", "Heavy")]
public class TrainedModelQuantizationTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 2 };

    private static readonly string[] Sentences =
    {
        "a man is eating food .", "the girl is carrying a baby .", "a woman is playing the violin .",
        "the new movie is awesome .", "the cat sits outside on the warm stones .", "how many people live in berlin ?",
        "the stock market fell sharply after the announcement .", "please remember to water the plants .",
    };

    private static Dictionary<string, InputTensor> Tokens(IReadOnlyList<string> sentences)
    {
        var vocab =
            File.ReadLines(TrainedModels.MiniLmVocab).Select((w, i) => (w, i)).ToDictionary(x => x.w, x => (long)x.i);
        var ids = sentences.Select(s => new[] { vocab["[CLS]"] }.Concat(s.Split(' ').Select(w => vocab[w]))
            .Append(vocab["[SEP]"]).ToArray()).ToList();
        int len = ids.Max(x => x.Length), n = ids.Count;
        var input = new long[n * len]; var mask = new long[n * len];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < ids[i].Length; j++) { input[i * len + j] = ids[i][j]; mask[i * len + j] = 1; }
        return new Dictionary<string, InputTensor>
        {
            ["input_ids"] = new(new[] { n, len }, input),
            ["attention_mask"] = new(new[] { n, len }, mask),
            ["token_type_ids"] = new(new[] { n, len }, new long[n * len]),
        };
    }

    /// <summary>Mask-mean-pooled last_hidden_state: the sentence embeddings.</summary>
    private static float[][] Embeddings(ModelProto model, Dictionary<string, InputTensor> feeds)
    {
        using var s = new InferenceSession(model.ToByteArray());
        var h = SessionRun.Run(s, feeds, new[] { "last_hidden_state" })[0].Value;
        var mask = (long[])feeds["attention_mask"].Data;
        int n = h.Shape[0], len = h.Shape[1], d = h.Shape[2];
        var result = new float[n][];
        for (int i = 0; i < n; i++)
        {
            var e = new float[d]; int count = 0;
            for (int j = 0; j < len; j++)
                if (mask[i * len + j] == 1) { count++; for (int k = 0; k < d; k++)
                    e[k] += h.Data[(i * len + j) * d + k]; }
            for (int k = 0; k < d; k++) e[k] /= count;
            result[i] = e;
        }
        return result;
    }

    private static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int k = 0; k < a.Length; k++) { ab += a[k] * b[k]; aa += a[k] * a[k]; bb += b[k] * b[k]; }
        return ab / Math.Sqrt(aa * bb);
    }

    private static double WorstCosine(float[][] reference, float[][] got) => reference.Zip(got, Cosine).Min();

    [Fact]
    public void MiniLm_Fp16_LoadsAndKeepsEverySentence()
    {
        var model = OnnxModelFile.Load(TrainedModels.MiniLmModel);
        var feeds = Tokens(Sentences);
        var r = ModelQuantizer.Quantize(model, "minilm", QuantizationPresets.Get("fp16"), "fp16", null, Cpu);
        Assert.True(WorstCosine(Embeddings(model, feeds), Embeddings(r.Model, feeds)) >= 0.999);
        // Shape arithmetic (Shape, Gather of int64, Unsqueeze, Concat) is not float and is not counted.
        Assert.DoesNotContain(r.QuantizedNodes, n => n.StartsWith("Shape_", StringComparison.Ordinal));
    }

    [Fact]
    public void MiniLm_DynamicInt8_PerChannelRecoversWhatPerTensorLoses()
    {
        // ONNX Runtime's quantize_dynamic defaults (per-tensor weights) lose most in the FFN down-projections, whose
        // weights hold a few outlier output columns; per-channel scales give each column its own range.
        var model = OnnxModelFile.Load(TrainedModels.MiniLmModel);
        var feeds = Tokens(Sentences);
        var reference = Embeddings(model, feeds);
        var options = QuantizationPresets.Get("onnx-dynamic") with { ReduceRange = false };
        var perTensor = ModelQuantizer.Quantize(model, "minilm", options, null, null, Cpu);
        var perChannel = ModelQuantizer.Quantize(model, "minilm", options with { PerChannel = true }, null, null, Cpu);
        Assert.Equal(37, perTensor.QuantizedNodes.Count); // 36 MatMuls with a weight and the pooler's Gemm
        double worstPerTensor = WorstCosine(reference, Embeddings(perTensor.Model, feeds));
        double worstPerChannel = WorstCosine(reference, Embeddings(perChannel.Model, feeds));
        Assert.True(worstPerChannel >= 0.98, $"per-channel worst cosine {worstPerChannel:F4}");
        Assert.True(worstPerChannel > worstPerTensor + 0.01,
            $"per-channel {worstPerChannel:F4} vs per-tensor {worstPerTensor:F4}");
    }

    [Fact]
    public void MiniLm_StaticInt8_CalibratesOnInt64Inputs()
    {
        var model = OnnxModelFile.Load(TrainedModels.MiniLmModel);
        var calibration = new InMemoryInputSource(new[] { Tokens(Sentences.Take(4).ToList()) });
        // MatMuls only: the generic preset's Adds would also quantize the attention mask's -10000 offsets.
        var options = QuantizationPresets.Get("onnx-static") with { ReduceRange = false, OpTypes = ["MatMul"] };
        var r = ModelQuantizer.Quantize(model, "minilm", options, "onnx-static", calibration, Cpu);
        Assert.Equal(48, r.QuantizedNodes.Count); // 36 with a weight, 12 attention products
        // Integer shape arithmetic was left alone: no range was calibrated for it.
        Assert.DoesNotContain(r.Ranges.Keys, t => t is "118" or "120");
        var feeds = Tokens(Sentences.Skip(4).ToList());
        var worst = WorstCosine(Embeddings(model, feeds), Embeddings(r.Model, feeds));
        Assert.True(worst >= 0.9, $"static int8 worst cosine {worst:F4}");
    }

    private static List<FloatTensor> Images(int count, int seed)
    {
        // Smooth gradients and blocks at ImageNet-normalised scale: enough structure to drive every channel.
        var rng = new Random(seed);
        var list = new List<FloatTensor>();
        for (int s = 0; s < count; s++)
        {
            var x = new FloatTensor(1, 3, 224, 224);
            double fx = rng.NextDouble() * 0.1, fy = rng.NextDouble() * 0.1, ph = rng.NextDouble() * 6;
            for (int c = 0; c < 3; c++) for (int i = 0; i < 224; i++) for (int j = 0; j < 224; j++)
                x.Data[(c * 224 + i) * 224 + j] =
                    (float)(Math.Sin(i * fx + j * fy + ph + c) * 1.5 + ((i / 32 + j / 32 + s) % 2) * 0.8 - 0.4);
            list.Add(x);
        }
        return list;
    }

    private static List<float[]> Features(ModelProto model, IEnumerable<FloatTensor> images)
    {
        using var s = new InferenceSession(model.ToByteArray());
        string input = s.InputMetadata.Keys.Single(), output = s.OutputMetadata.Keys.First();
        return images.Select(x => SessionRun.Run(s, new Dictionary<string, FloatTensor> { [input] = x },
            new[] { output })[0].Value.Data).ToList();
    }

    [Fact]
    public void ResNet18Opset8_StaticPerChannelAndFp16_KeepHeldOutFeatures()
    {
        var model = OnnxModelFile.Load(TrainedModels.ResNet18Model);
        string input = model.Graph.Input[0].Name;
        // Calibration batches of 4 for a model whose batch axis is fixed at 1: fed one image at a time.
        var calib = Images(8, 1).Chunk(4).Select(c => new Dictionary<string, InputTensor>
        {
            [input] = new InputTensor(new[] { c.Length, 3, 224, 224 }, c.SelectMany(t => t.Data).ToArray()),
        }).ToList();
        var heldOut = Images(4, 2);
        var reference = Features(model, heldOut);
        var q = ModelQuantizer.Quantize(model, "resnet18",
            QuantizationPresets.Get("onnx-static") with { ReduceRange = false }, "onnx-static",
            new InMemoryInputSource(calib), Cpu);
        Assert.Equal(13, q.Model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Contains(q.Warnings, w => w.Contains("BatchNormalization"));
        Assert.Equal(22, q.QuantizedNodes.Count(n => q.Model.Graph.Node.Any(x => x.Name == n && x.OpType == "Conv")));
        double worstInt8 = reference.Zip(Features(q.Model, heldOut), (a, b) => Cosine(a, b)).Min();
        Assert.True(worstInt8 >= 0.98, $"static int8 worst feature cosine {worstInt8:F4}");
        var h = ModelQuantizer.Quantize(model, "resnet18", QuantizationPresets.Get("fp16"), "fp16", null, Cpu);
        double worstFp16 = reference.Zip(Features(h.Model, heldOut), (a, b) => Cosine(a, b)).Min();
        Assert.True(worstFp16 >= 0.999, $"fp16 worst feature cosine {worstFp16:F4}");
    }
}
