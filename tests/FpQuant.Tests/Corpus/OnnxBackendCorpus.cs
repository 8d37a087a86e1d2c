using FpQuant.Core;
using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Tests.Corpus;

/// <summary>
/// The ONNX project's backend test corpus as Debian ships it (libonnx-testdata 1.12): one folder per test with
/// model.onnx and test_data_set_N/{input,output}_K.pb, under node, pytorch-converted, pytorch-operator and simple.
/// FPQUANT_ONNX_TESTDATA points elsewhere (a folder with the same four subfolders).
/// </summary>
public static class OnnxBackendCorpus
{
    public const string AptCommand = "sudo apt-get install libonnx-testdata";

    public static string Root => Environment.GetEnvironmentVariable("FPQUANT_ONNX_TESTDATA") is { Length: > 0 } r ? r
        : "/usr/share/libonnx-testdata/data";

    public static readonly string[] Folders = ["node", "pytorch-converted", "pytorch-operator", "simple"];

    public static bool Installed => Folders.All(f => Directory.Exists(Path.Combine(Root, f)));

    public sealed record Case(string Folder, string Name, string Dir)
    {
        public string ModelPath => Path.Combine(Dir, "model.onnx");
        public string Id => $"{Folder}/{Name}";
        public IReadOnlyList<string> DataSets =>
            Directory.GetDirectories(Dir, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every test with a model and at least one data set, in a fixed order; FPQUANT_CORPUS_FILTER (a
    /// substring of "folder/name") narrows it for local runs.</summary>
    public static List<Case> Cases()
    {
        string? filter = Environment.GetEnvironmentVariable("FPQUANT_CORPUS_FILTER");
        return Folders.SelectMany(f => Directory.GetDirectories(Path.Combine(Root, f)).Order(StringComparer.Ordinal)
                .Select(d => new Case(f, Path.GetFileName(d), d)))
            .Where(c => File.Exists(c.ModelPath) && c.DataSets.Count > 0)
            .Where(c => string.IsNullOrEmpty(filter) || c.Id.Contains(filter, StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>One data set's tensors (input_K.pb or output_K.pb, in K order) by the model's value names: the name
    /// the file carries when the model has it, else the K-th name. A file that is not a numeric tensor (a sequence,
    /// strings) gives null.</summary>
    public static List<(string Name, InputTensor? Value)> Read(string dataSet, string prefix,
        IReadOnlyList<string> names)
    {
        var files = Directory.GetFiles(dataSet, prefix + "_*.pb")
            .Select(f => (File: f,
                K: int.Parse(Path.GetFileNameWithoutExtension(f)[(prefix.Length + 1)..],
                    System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(x => x.K).ToList();
        var list = new List<(string, InputTensor?)>();
        foreach (var (file, k) in files)
        {
            InputTensor? value = null;
            string? name = null;
            try
            {
                var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(file));
                name = t.Name;
                value = TensorProtos.ToTensor(t);
            }
            catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or FpQuantException) { }
            if (string.IsNullOrEmpty(name) || !names.Contains(name)) name = k < names.Count ? names[k] : $"#{k}";
            list.Add((name, value));
        }
        return list;
    }

    /// <summary>The graph's input names that are not initializers, and its output names, in graph order.</summary>
    public static (List<string> Inputs, List<string> Outputs) Names(string modelPath)
    {
        var m = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        var init = m.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return (m.Graph.Input.Select(i => i.Name).Where(n => !init.Contains(n)).ToList(),
            m.Graph.Output.Select(o => o.Name).ToList());
    }

    /// <summary>The names of the graph's bfloat16 inputs and outputs.</summary>
    public static HashSet<string> BFloat16Values(string modelPath)
    {
        var g = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath)).Graph;
        return g.Input.Concat(g.Output)
            .Where(v => v.Type?.TensorType?.ElemType == (int)TensorProto.Types.DataType.Bfloat16)
            .Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// The corpus (ONNX 1.12) stores bfloat16 tensors as uint16 holding the bits; read them as bfloat16.
    /// </summary>
    public static InputTensor? AsStored(InputTensor? t, bool bfloat16) =>
        t != null && bfloat16
            && t.ElementType == InputElementType.UInt16 ? new InputTensor(t.Shape, InputElementType.BFloat16, t.Data)
                : t;
}
