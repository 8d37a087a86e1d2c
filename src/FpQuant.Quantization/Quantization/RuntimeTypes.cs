using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Runtime;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// The element type of every tensor of a model's main graph as ONNX Runtime's own type inference sees it: every
/// node output is exposed as a graph output (without a declared type) of a copy loaded unoptimised, and the
/// session's output metadata says each type. Exact where the op-by-op rules of <see cref="ElementTypes"/> guess
/// (Pow of an integer base, OneHot, CastLike, ops with a dtype attribute, ...).
/// </summary>
internal static class RuntimeTypes
{
    /// <summary>Tensor name to ONNX DataType number; null when ONNX Runtime cannot load the model.</summary>
    public static IReadOnlyDictionary<string, int>? Infer(ModelProto model, RuntimeSettings settings)
    {
        var m = model.Clone();
        var exposed = m.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var n in m.Graph.Node)
            foreach (var o in n.Output)
                if (o.Length > 0 && exposed.Add(o)) m.Graph.Output.Add(new ValueInfoProto { Name = o });
        try
        {
            using var s = SessionFactory.FromBytes(OnnxModelFile.Serialize(m),
                // Types do not depend on the provider; the CPU one loads fastest (TensorRT would build engines).
                settings with { Provider = ExecutionProviderKind.Cpu,
                    OptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpThreads = 1,
                    ProfilePrefix = null, OptimizedModelPath = null },
                "the model");
            var types = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (name, meta) in s.OutputMetadata.Concat(s.InputMetadata))
                if (meta.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR) types[name] = (int)meta.ElementDataType;
            return types;
        }
        catch (FpQuantException)
        {
            return null;
        }
    }
}
