using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Fp16;
using FpQuant.Runtime;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization;

/// <summary>
/// Converts a float32 model to float16: initializers, constants and compute in half precision, float32 inputs and
/// outputs kept (Casts at the edges) when asked, and block-listed op types or excluded nodes kept in float32
/// between Casts. Each node goes to its op's converter (<see cref="Fp16OpConverters"/>). Values beyond 65504
/// saturate to +-65504 instead of becoming infinite.
/// </summary>
internal static class Fp16Converter
{
    /// <summary>The converted model and the nodes that now compute in float16, with their depth (If/Loop/Scan bodies
    /// are converted too, keeping float32 at their boundary). With <paramref name="settings"/>, tensor types come
    /// from ONNX Runtime's inference (<see cref="RuntimeTypes"/>), and an op the execution provider has no float16
    /// kernel for is kept in float32 between Casts.</summary>
    public static ModeResult Quantize(ModelProto model, QuantizationOptions o, RuntimeSettings? settings = null)
    {
        var types = settings == null ? null : RuntimeTypes.Infer(model, settings);
        var block = new HashSet<string>(o.Fp16BlockOps, StringComparer.Ordinal);
        // Each round keeps one more op type float32; a model has finitely many op types.
        while (true)
        {
            var result = ConvertOnce(model, o, types, block);
            string? missing = settings == null || types == null ? null : MissingHalfKernel(result.Model, settings);
            if (missing == null || !block.Add(missing)) return result;
        }
    }

    /// <summary>
    /// One body: the float32 values it reads from outside are declared as inputs for the conversion (so they are
    /// cast to float16 inside, like the body's own inputs), its outputs are cast back to float32, and the declared
    /// inputs are removed again afterwards.
    /// </summary>
    private static ModeResult ConvertBody(ModelProto body, QuantizationOptions o, HashSet<string> block,
        IReadOnlySet<string> floatOuter, string nameSuffix)
    {
        var defined = Subgraphs.Defined(body.Graph);
        var outer = body.Graph.Node.SelectMany(n => n.Input.Concat(Subgraphs.Of(n).SelectMany(Subgraphs.OuterReads)))
            .Where(i => i.Length > 0 && !defined.Contains(i) && floatOuter.Contains(i)).Distinct().ToList();
        var declared = new List<string>();
        foreach (var name in outer)
        {
            body.Graph.Input.Add(GraphBuilder.ValueInfo(name, DataType.Float, Array.Empty<Dim>()));
            body.Graph.Input.Last().Type.TensorType.Shape = null;
            declared.Add(name);
        }
        var converted = ConvertOnce(body, o with { Fp16KeepIoTypes = true }, null, block, nameSuffix);
        var declaredSet = declared.ToHashSet(StringComparer.Ordinal);
        var inputs = converted.Model.Graph.Input;
        foreach (var i in inputs.Where(i => declaredSet.Contains(i.Name)).ToList()) inputs.Remove(i);
        return converted;
    }

    private static string Note(HashSet<string> set, string name) { set.Add(name); return name; }

    /// <summary>
    /// The op type ONNX Runtime names when it has no kernel for a node of the converted model, or null.
    /// </summary>
    private static string? MissingHalfKernel(ModelProto converted, RuntimeSettings settings)
    {
        try
        {
            using var s = SessionFactory.FromBytes(OnnxModelFile.Serialize(converted),
                settings with { OptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
                    IntraOpThreads = 1, ProfilePrefix = null, OptimizedModelPath = null }, "the float16 model");
            return null;
        }
        catch (FpQuantException e)
        {
            // A missing kernel, or an op whose type constraints exclude float16 (NonMaxSuppression, Celu, sequence
            // ops).
            foreach (var pattern in new[] { @"(?:Could not find an implementation|Failed to find kernel) for (\w+)\(",
                @"of operator \((\w+)\)", @"Op \((\w+)\) \[Type" })
            {
                var m = System.Text.RegularExpressions.Regex.Match(e.Message, pattern);
                if (m.Success && Subgraphs.AllNodes(converted.Graph).Any(n => n.Node.OpType == m.Groups[1].Value))
                    return m.Groups[1].Value;
            }
            return null;
        }
    }

    private static ModeResult ConvertOnce(ModelProto model, QuantizationOptions o,
        IReadOnlyDictionary<string, int>? types, HashSet<string> block, string nameSuffix = "") =>
        NodeRewriteLoop.Run(model, new Fp16Rewriter(model, o, types, block, nameSuffix));

    /// <summary>Each node goes to its op's converter, or the kept-float one when it must stay float32.</summary>
    private sealed class Fp16Rewriter : INodeRewriter
    {
        private readonly ModelProto _model;
        private readonly QuantizationOptions _options;
        private readonly HashSet<string> _block;
        private readonly string _nameSuffix;
        private readonly Fp16Rewrite _rw;
        private readonly NodeSelector _selector;

        public Fp16Rewriter(ModelProto model, QuantizationOptions o, IReadOnlyDictionary<string, int>? types,
            HashSet<string> block, string nameSuffix)
        {
            _model = model;
            _options = o;
            _block = block;
            _nameSuffix = nameSuffix;
            _rw = new Fp16Rewrite(model, o, types, nameSuffix);
            _selector = new NodeSelector(o.Include, o.Exclude);
        }

        public bool RewritesBodiesOf(NodeProto node) => SubgraphBodies.Has(node);

        public void EmitWithBodies(NodeProto node, List<QuantizedNode> rewritten)
        {
            // The control-flow node keeps float32 at its boundary: what its bodies read from this graph is read
            // in float32, and each body converts inside, between Casts, like a model that keeps its I/O types.
            var n = node.Clone();
            var floatOuter = new HashSet<string>(StringComparer.Ordinal);
            foreach (var body in Subgraphs.Of(n))
                Subgraphs.RenameOuterReads(body, t => _rw.IsFloat(t) ? Note(floatOuter, _rw.Float32(t)) : t);
            string owner = node.Output.FirstOrDefault(x => x.Length > 0) ?? node.Name;
            // A body ONNX Runtime refused in float16 (block-listed after a failed check) stays float32 whole.
            if (!_block.Contains(node.OpType) && _selector.Selects(node.Name))
                n = SubgraphBodies.Rewrite(n, _model,
                    body => ConvertBody(body, _options, _block, floatOuter, $"{_nameSuffix}@{owner}/{body.Graph.Name}"),
                    rewritten);
            Fp16OpConverters.KeptFloat.Convert(n, _rw);
        }

        public bool Emit(NodeProto node)
        {
            var converter = _block.Contains(node.OpType) || !_selector.Selects(node.Name)
                || Fp16OpConverters.MustStayFloat32(node)
                ? Fp16OpConverters.KeptFloat : Fp16OpConverters.For(node.OpType);
            return converter.Convert(node, _rw);
        }

        public ModelProto Assemble()
        {
            var rw = _rw;
            foreach (var (orig, internalName) in rw.OutputRename)
            {
                var c = new NodeProto { OpType = "Cast", Name = $"{orig}/Cast_to_float32" };
                c.Input.Add(internalName); c.Output.Add(orig);
                c.Attribute.Add(GraphBuilder.Attr("to", (long)DataType.Float));
                rw.Nodes.Add(c);
            }
            var result = _model.Clone();
            var g = result.Graph;
            if (!_options.Fp16KeepIoTypes)
            {
                foreach (var i in g.Input.Where(i => i.Type?.TensorType?.ElemType == (int)DataType.Float
                    && !rw.Index.IsInitializer(i.Name)))
                    i.Type.TensorType.ElemType = (int)DataType.Float16;
                foreach (var out_ in g.Output.Where(x => x.Type?.TensorType?.ElemType == (int)DataType.Float))
                    out_.Type.TensorType.ElemType = (int)DataType.Float16;
            }
            g.Node.Clear();
            g.Node.AddRange(rw.Nodes);
            g.Initializer.AddRange(rw.HalfInitializers);
            // Float32 initializers that no node reads any more are dropped.
            var graphOutputs = new HashSet<string>(g.Output.Select(x => x.Name), StringComparer.Ordinal);
            var read = new HashSet<string>(rw.Nodes.SelectMany(n =>
                n.Input.Concat(Subgraphs.Of(n).SelectMany(Subgraphs.OuterReads))), StringComparer.Ordinal);
            var kept = g.Initializer.Where(i => read.Contains(i.Name) || graphOutputs.Contains(i.Name)).ToList();
            g.Initializer.Clear();
            g.Initializer.AddRange(kept);
            g.ValueInfo.Clear();
            return result;
        }
    }
}
