using FpQuant.Core;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>Builds the output ModelProto from rewritten nodes and initializers.</summary>
internal static class GraphAssembly
{
    public static ModelProto Assemble(ModelProto original, List<NodeProto> nodes, List<TensorProto> newInits,
        ISet<string> replaced, Func<string, bool> isRead, bool needsAxisOpset, bool usesMicrosoft)
    {
        var model = original.Clone();
        var g = model.Graph;
        g.Node.Clear();
        g.Node.AddRange(nodes);
        var keep = original.Graph.Initializer.Where(i => !replaced.Contains(i.Name) || isRead(i.Name)).ToList();
        g.Initializer.Clear();
        g.Initializer.AddRange(keep);
        g.Initializer.AddRange(newInits);
        // Shapes of rewritten tensors are inferred by the runtime; stale value_info would contradict the new types.
        g.ValueInfo.Clear();
        var init = new HashSet<string>(g.Initializer.Select(i => i.Name));
        var inputs = g.Input.Where(i => !replaced.Contains(i.Name) || isRead(i.Name)).ToList();
        g.Input.Clear();
        g.Input.AddRange(inputs);
        var onnx = model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx");
        if (onnx != null && onnx.Version < 13 && needsAxisOpset)
            throw new FpQuantException($"the model's opset {onnx.Version} predates per-axis DequantizeLinear (opset " +
                $"13); re-export the model at opset 13 or later, or use the QOperator format with per-tensor weights");
        if (usesMicrosoft && !model.OpsetImport.Any(o => o.Domain == "com.microsoft"))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return model;
    }
}
