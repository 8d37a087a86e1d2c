using System.Text.Json;
using FpQuant.Core;

namespace FpQuant.Quantization;

/// <summary>
/// Reads a preset file: a JSON object holding the options, either at its root or under "options" (as
/// <see cref="QuantizationPresets.SaveFile"/> and autoquant write them). Whatever the file holds, the result is
/// valid options or one FpQuantException naming the file.
/// </summary>
internal static class PresetFile
{
    /// <summary>A preset is a few hundred bytes; a file much larger than this is not one.</summary>
    public const long MaxBytes = 4L << 20;

    /// <summary>Lists that must be lists when given; "opTypes": null is allowed and means the mode's default.</summary>
    private static readonly HashSet<string> NonNullLists =
        new(StringComparer.OrdinalIgnoreCase) { "include", "exclude", "fp16BlockOps", "modes", "floatTensors" };

    public static QuantizationOptions Load(string path)
    {
        if (!File.Exists(path)) throw new FpQuantException($"preset file '{path}' does not exist");
        string text;
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxBytes)
                throw new FpQuantException($"preset file '{path}' has {length} bytes; a preset is a small JSON object");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"cannot read preset file '{path}': {e.Message}", e);
        }
        return Parse(text, path);
    }

    public static QuantizationOptions Parse(string json, string path)
    {
        FpQuantException Bad(string why, Exception? inner = null) =>
            inner == null ? new($"preset file '{path}' is not a valid preset ({why})")
                : new($"preset file '{path}' is not a valid preset ({why})", inner);
        QuantizationOptions? options;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad($"its root is {Article(root.ValueKind)}; expected a JSON object of options, or one with an " +
                    $"\"options\" object");
            var el = root;
            if (root.TryGetProperty("options", out var inner))
            {
                if (inner.ValueKind != JsonValueKind.Object)
                    throw Bad($"\"options\" is {Article(inner.ValueKind)}, not an object");
                el = inner;
            }
            // Checked on the JSON itself: the options turn a null list into an empty one, which would hide the mistake.
            foreach (var property in el.EnumerateObject())
                if (property.Value.ValueKind == JsonValueKind.Null && NonNullLists.Contains(property.Name))
                    throw Bad($"\"{property.Name}\" is null; give a list (it may be empty)");
            options = el.Deserialize<QuantizationOptions>(QuantizationPresets.Json);
        }
        catch (JsonException e)
        {
            throw Bad(e.Message, e);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException
            or FormatException or OverflowException)
        {
            throw Bad(e.Message, e);
        }
        if (options == null) throw Bad("it holds no options");
        foreach (var (name, list) in new[] { ("include", options.Include), ("exclude", options.Exclude),
            ("fp16BlockOps", options.Fp16BlockOps), ("opTypes", options.OpTypes),
            ("floatTensors", options.FloatTensors) })
            // a null opTypes means the mode's default
            if (list != null && list.Any(x => x == null)) throw Bad($"\"{name}\" holds a null entry; give strings");
        if (!Enum.IsDefined(options.Mode) || !Enum.IsDefined(options.Format) || !Enum.IsDefined(options.WeightType)
            || !Enum.IsDefined(options.ActivationType) || !Enum.IsDefined(options.Calibration))
            throw Bad("a mode, format, type or calibration method is a number that names none; use the names (e.g. " +
                "\"static\", \"qdq\", \"s8\", \"min-max\")");
        try { options.Validate(); }
        catch (FpQuantException e) { throw Bad(e.Message, e); }
        return options;
    }

    private static string Article(JsonValueKind k) => k switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => k.ToString().ToLowerInvariant(),
    };
}
