using FpQuant.Core;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Onnx;

/// <summary>
/// Checks a model's graph once, as it is loaded, so that every consumer (inspect, quantizers, signature readers) may
/// rely on it: one opset per domain, unique initializer and node output names, every name a node reads defined by
/// an input, an initializer or another node, every graph output produced, initializer data matching its shape.
/// A model that fails is refused with one line naming the file and what is wrong.
/// </summary>
internal static class ModelValidator
{
    public static void Validate(ModelProto model, string path)
    {
        FpQuantException Bad(string why) =>
            new($"ONNX model '{path}': {why}; the file is damaged or was edited into an invalid graph");

        var domains = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in model.OpsetImport)
        {
            string d = string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx" ? "ai.onnx" : o.Domain;
            if (!domains.Add(d)) throw Bad($"opset domain '{ErrorText.Quote(d)}' is imported twice");
            if (o.Version <= 0) throw Bad($"opset domain '{ErrorText.Quote(d)}' has version {o.Version}");
        }

        var g = model.Graph;
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in g.Input)
        {
            if (string.IsNullOrEmpty(i.Name)) throw Bad("a graph input has no name");
            if (!defined.Add(i.Name)) throw Bad($"graph input '{ErrorText.Quote(i.Name)}' is declared twice");
            CheckShape(i, "input", Bad);
        }
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            if (string.IsNullOrEmpty(t.Name)) throw Bad("an initializer has no name");
            if (!initializers.Add(t.Name)) throw Bad($"initializer '{ErrorText.Quote(t.Name)}' is defined twice");
            defined.Add(t.Name);
            CheckInitializer(t, Bad);
        }
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Node)
            foreach (var o in n.Output)
            {
                if (o.Length == 0) continue; // an omitted optional output
                if (defined.Contains(o) || !produced.Add(o))
                    throw Bad($"'{ErrorText.Quote(o)}' is produced by node '{ErrorText.Quote(n.Name)}' " +
                        $"({ErrorText.Quote(n.OpType)}) but is already defined");
            }
        foreach (var n in g.Node)
        {
            if (string.IsNullOrEmpty(n.OpType)) throw Bad($"node '{ErrorText.Quote(n.Name)}' has no op type");
            foreach (var i in n.Input)
                if (i.Length > 0 && !defined.Contains(i) && !produced.Contains(i))
                    throw Bad($"node '{ErrorText.Quote(n.Name)}' ({ErrorText.Quote(n.OpType)}) reads " +
                        $"'{ErrorText.Quote(i)}', which no graph input, initializer or node defines");
        }
        foreach (var o in g.Output)
        {
            if (string.IsNullOrEmpty(o.Name)) throw Bad("a graph output has no name");
            if (!defined.Contains(o.Name) && !produced.Contains(o.Name))
                throw Bad($"graph output '{ErrorText.Quote(o.Name)}' is not produced by any node");
            CheckShape(o, "output", Bad);
        }
    }

    private static void CheckShape(ValueInfoProto v, string what, Func<string, FpQuantException> bad)
    {
        var shape = v.Type?.TensorType?.Shape;
        if (shape == null) return;
        foreach (var d in shape.Dim)
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue < 0)
                throw bad($"graph {what} '{ErrorText.Quote(v.Name)}' has dimension {d.DimValue}");
    }

    private static void CheckInitializer(TensorProto t, Func<string, FpQuantException> bad)
    {
        string name = ErrorText.Quote(t.Name);
        if (!Enum.IsDefined(typeof(DataType), t.DataType) || t.DataType == (int)DataType.Undefined)
            throw bad($"initializer '{name}' has element type {t.DataType}, which ONNX does not define");
        Int128 count = 1;
        foreach (long d in t.Dims)
        {
            if (d < 0) throw bad($"initializer '{name}' has dimension {d}");
            count *= d;
            if (count > long.MaxValue / 16) throw bad($"initializer '{name}' claims more elements than any file holds");
        }
        if (t.DataLocation == TensorProto.Types.DataLocation.External) return; // sizes live in the external file
        int size = TensorProtos.ByteSizeOf((DataType)t.DataType);
        long typed = (DataType)t.DataType switch
        {
            DataType.Float => t.FloatData.Count,
            DataType.Double => t.DoubleData.Count,
            DataType.Int64 => t.Int64Data.Count,
            DataType.Uint32 or DataType.Uint64 => t.Uint64Data.Count,
            DataType.String => t.StringData.Count,
            _ => t.Int32Data.Count,
        };
        if (!t.RawData.IsEmpty)
        {
            if (size > 0 && t.RawData.Length != count * size)
                throw bad($"initializer '{name}' holds {t.RawData.Length} bytes but its shape " +
                    $"[{string.Join("x", t.Dims.Take(8))}] needs {count * size}");
        }
        else if (typed != count && (size > 0 || (DataType)t.DataType == DataType.String))
            throw bad(
                $"initializer '{name}' holds {typed} values but its shape [{string.Join("x", t.Dims.Take(8))}] needs " +
                $"{count}");
    }
}
