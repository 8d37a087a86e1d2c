using FpQuant.Core;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Handlers;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>Static (calibrated) quantization: plan, calibrate with the real model, compute parameters, rewrite.</summary>
public static class StaticQuantizer
{
    public static (ModelProto Model, QuantizationPlan Plan, Dictionary<string, CalibrationRange> Ranges, Dictionary<string, QuantParams> Params)
        Quantize(ModelProto model, string source, QuantizationOptions options, CalibrationSource calibration, RuntimeSettings settings, IProgress<string>? progress)
    {
        var plan = QuantizationPlan.Make(model.Graph, options);
        var ranges = Calibrator.Collect(model, source, plan.TensorsToCalibrate(), calibration, options, settings, progress);
        return (Rewrite(model, plan, ranges), plan, ranges, RewriteContext.ComputeParams(plan, ranges));
    }

    /// <summary>Rewrites the graph given a plan and calibrated ranges (also used by sensitivity analysis to reuse ranges).</summary>
    public static ModelProto Rewrite(ModelProto model, QuantizationPlan plan, IReadOnlyDictionary<string, CalibrationRange> ranges)
    {
        var parameters = RewriteContext.ComputeParams(plan, ranges);
        var ctx = new RewriteContext(plan, parameters);
        foreach (var node in model.Graph.Node)
        {
            if (plan.QuantizedNodes.TryGetValue(node.Name, out var handler))
            {
                if (plan.Options.Format == QuantFormat.Qdq) handler.EmitQdq(node, ctx);
                else handler.EmitQOperator(node, ctx);
            }
            else
            {
                ctx.EmitCopy(node, node.Input.Select(i => ctx.InputOfFloatNode(node, i)));
            }
        }
        foreach (var o in model.Graph.Output) ctx.Float(o.Name);
        return GraphAssembly.Assemble(model, ctx.Nodes, ctx.NewInitializers, ctx.ReplacedInitializers, ctx.IsRead,
            needsAxisOpset: plan.Options.PerChannel || plan.Options.Format == QuantFormat.Qdq, ctx.UsesMicrosoftDomain);
    }
}

/// <summary>Builds the output ModelProto from rewritten nodes and initializers.</summary>
public static class GraphAssembly
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
            throw new FpQuantException($"the model's opset {onnx.Version} predates per-axis DequantizeLinear (opset 13); re-export the model at opset 13 or later, or use --format qoperator with --per-tensor");
        if (usesMicrosoft && !model.OpsetImport.Any(o => o.Domain == "com.microsoft"))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return model;
    }
}
