using System.Text.RegularExpressions;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Runtime;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// Never write a broken model. Before rewriting, the float model must load in ONNX Runtime (with the run's
/// provider), so a model ONNX Runtime cannot run is named as such and not blamed on the quantizer; it is also run
/// once on probe inputs (zeros for integers and bools, a fixed ramp for floats; dynamic axes 1). After rewriting,
/// the result must pass the ONNX rules every loaded model passes (<see cref="ModelValidator"/>), load in ONNX
/// Runtime, and, where the float model ran on the probe, run on it too and give every output with the float
/// model's shape (and its type, or float16 for float outputs when the fp16 mode makes its outputs float16).
/// A failure is one line naming the node where ONNX Runtime names one.
/// </summary>
internal sealed class QuantizedModelCheck
{
    private readonly string _source;
    private readonly RuntimeSettings _settings;
    private readonly Dictionary<string, InputTensor>? _probe;
    private readonly List<(string Name, InputTensor Value)>? _floatOutputs;

    private QuantizedModelCheck(string source, RuntimeSettings settings,
        Dictionary<string, InputTensor>? probe, List<(string, InputTensor)>? outputs)
    {
        _source = source; _settings = settings; _probe = probe; _floatOutputs = outputs;
    }

    /// <summary>
    /// Loads the float model and runs it on the probe; a model ONNX Runtime cannot load is refused here.
    /// </summary>
    public static QuantizedModelCheck ForFloat(ModelProto model, string source, RuntimeSettings settings)
    {
        ModelRunner runner;
        try
        {
            runner = new ModelRunner(OnnxModelFile.Serialize(model), $"the float model '{source}'", settings);
        }
        catch (FpQuantException e)
        {
            throw new FpQuantException($"ONNX Runtime cannot load the float model '{source}' itself, so fpquant does " +
                $"not quantize it: {ErrorText.OneLine(Inner(e), 600)}", e);
        }
        Dictionary<string, InputTensor>? probe = null;
        List<(string, InputTensor)>? outputs = null;
        try
        {
            probe = Probe(runner.InputMetadata);
            if (probe != null) outputs = runner.RunAll(probe);
        }
        catch (FpQuantException)
        {
            // The float model needs inputs the probe cannot make (values in a range, related dynamic axes, sequences):
            // the result is then checked by loading alone.
            probe = null; outputs = null;
        }
        finally
        {
            // Only the probe's outputs are needed later: the float session (the model's size and more) is not kept
            // through calibration.
            runner.Dispose();
        }
        return new QuantizedModelCheck(source, settings, probe, outputs);
    }

    /// <summary>Refuses <paramref name="quantized"/> with one line when it breaks ONNX's rules, does not load, does not
    /// run where the float model ran, or changes an output's shape or type.</summary>
    public void Check(ModelProto quantized, string what, bool float16Outputs)
    {
        string name = $"the {what} result for '{_source}'";
        string Refuse(string why) => $"{name} {why}; nothing was written (this is a quantizer defect: please report " +
            $"it with the model, or keep the node float: add it to Exclude)";
        try
        {
            ModelValidator.Validate(quantized, name);
        }
        catch (FpQuantException e)
        {
            throw new FpQuantException(Refuse($"breaks ONNX's rules ({e.Message})"), e);
        }
        byte[] bytes = OnnxModelFile.Serialize(quantized);
        ModelRunner runner;
        try
        {
            runner = new ModelRunner(bytes, name, _settings);
        }
        catch (FpQuantException e)
        {
            throw new FpQuantException(Refuse($"does not load in ONNX Runtime{NodeOf(Inner(e), quantized)}: " +
                $"{ErrorText.OneLine(Inner(e), 600)}"), e);
        }
        using (runner)
        {
            if (_probe == null || _floatOutputs == null) return;
            List<(string Name, InputTensor Value)> got;
            try
            {
                got = runner.RunAll(AsInputsOf(runner));
            }
            catch (FpQuantException e)
            {
                throw new FpQuantException(Refuse($"loads but fails to run where the float model " +
                    $"runs{NodeOf(Inner(e), quantized)}: {ErrorText.OneLine(Inner(e), 600)}"), e);
            }
            foreach (var (output, want) in _floatOutputs)
            {
                var have = got.FirstOrDefault(g => g.Name == output).Value;
                string producer = ProducerOf(quantized, output);
                if (have == null)
                    throw new FpQuantException(Refuse($"has no output '{ErrorText.Quote(output)}'"));
                if (!have.Shape.SequenceEqual(want.Shape))
                    throw new FpQuantException(Refuse($"gives output '{ErrorText.Quote(output)}'{producer} shape " +
                        $"{have.ShapeText} where the float model gives {want.ShapeText}"));
                bool typeOk = have.ElementType == want.ElementType
                    || (float16Outputs && want.ElementType == InputElementType.Float
                        && have.ElementType == InputElementType.Float16);
                if (!typeOk)
                    throw new FpQuantException(Refuse($"gives output '{ErrorText.Quote(output)}'{producer} as " +
                        $"{have.TypeName} where the float model gives {want.TypeName}"));
            }
        }
    }

    /// <summary>
    /// The probe in the result's input types: fp16 with float16 inputs takes the same values as float16.
    /// </summary>
    private Dictionary<string, InputTensor> AsInputsOf(ModelRunner runner)
    {
        var feeds = new Dictionary<string, InputTensor>(StringComparer.Ordinal);
        foreach (var (name, t) in _probe!)
        {
            var want = runner.InputMetadata.TryGetValue(name, out var meta) ? OrtElementTypes.From(meta.ElementDataType)
                : null;
            if (want is not InputElementType type || type == t.ElementType || !type.IsFloat()
                || !t.ElementType.IsFloat()) { feeds[name] = t; continue; }
            var data = Array.CreateInstance(type.ArrayElement(), t.Length);
            for (long i = 0; i < t.Length; i++)
            {
                double v = t.ValueAt(i);
                data.SetValue(type switch
                {
                    InputElementType.Float16 => (object)(Half)v,
                    InputElementType.BFloat16 => InputElementTypes.ToBFloat16((float)v),
                    InputElementType.Double => v,
                    _ => (float)v,
                }, i);
            }
            feeds[name] = new InputTensor(t.Shape, type, data);
        }
        return feeds;
    }

    private static string Inner(FpQuantException e) => e.InnerException is OnnxRuntimeException o ? o.Message
        : e.Message;

    /// <summary>" at node 'N' (Op)" when ONNX Runtime's message names a node of the model.</summary>
    private static string NodeOf(string message, ModelProto model)
    {
        foreach (var pattern in new[] { @"Node \(([^)]*)\)", @"Name:'([^']*)'", @"(?:of|in) node \(([^)]*)\)",
            @"node ([^\s:]+)" })
        {
            var m = Regex.Match(message, pattern);
            if (!m.Success) continue;
            var node = model.Graph.Node.FirstOrDefault(n => n.Name == m.Groups[1].Value);
            if (node != null) return $" at node '{ErrorText.Quote(node.Name)}' ({ErrorText.Quote(node.OpType)})";
        }
        return "";
    }

    private static string ProducerOf(ModelProto model, string output)
    {
        var node = model.Graph.Node.FirstOrDefault(n => n.Output.Contains(output));
        return node == null ? "" : $" (from node '{ErrorText.Quote(node.Name)}', {ErrorText.Quote(node.OpType)})";
    }

    /// <summary>Deterministic inputs for every tensor input, or null when an input is not a numeric tensor.</summary>
    private static Dictionary<string, InputTensor>? Probe(IReadOnlyDictionary<string, NodeMetadata> inputs)
    {
        var probe = new Dictionary<string, InputTensor>(StringComparer.Ordinal);
        foreach (var (name, meta) in inputs)
        {
            if (!meta.IsTensor || OrtElementTypes.From(meta.ElementDataType) is not InputElementType type) return null;
            int[] shape = meta.Dimensions.Select(d => d < 0 ? 1 : d).ToArray();
            long n = FloatTensor.ElementCount(shape);
            if (n > 1 << 24) return null;
            var data = Array.CreateInstance(type.ArrayElement(), n);
            if (type.IsFloat())
                for (long i = 0; i < n; i++)
                {
                    float v = 0.25f + (i % 7) * 0.125f;
                    data.SetValue(type switch
                    {
                        InputElementType.Float16 => (object)(Half)v,
                        InputElementType.BFloat16 => InputElementTypes.ToBFloat16(v),
                        InputElementType.Double => (double)v,
                        _ => v,
                    }, i);
                }
            probe[name] = new InputTensor(shape, type, data);
        }
        return probe;
    }
}
