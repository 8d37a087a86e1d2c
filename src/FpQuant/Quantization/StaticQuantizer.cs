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
