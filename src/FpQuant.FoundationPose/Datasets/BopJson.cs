using System.Globalization;
using System.Text.Json;
using FpQuant.Geometry;
using FpQuant.Core;
using FpQuant.Pipeline;

namespace FpQuant.Datasets;

/// <summary>Reading BOP's JSON files with errors that name the file and the entry.</summary>
internal static class BopJson
{
    /// <summary>
    /// Files above this are refused rather than read whole (the largest BOP scene files are a few MB).
    /// </summary>
    private const long MaxBytes = 512L << 20;

    public static JsonDocument Load(string path, string what)
    {
        if (!File.Exists(path)) throw new FpQuantException($"{what}: '{path}' does not exist");
        long size = new FileInfo(path).Length;
        if (size > MaxBytes)
            throw new FpQuantException($"{what}: '{path}' is {size >> 20} MB; BOP JSON files are far smaller, so " +
                $"this is not one");
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            // JsonDocument checks UTF-8 only where a value is read; a key with invalid bytes would throw later, on use.
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
                throw new FpQuantException(
                    $"'{path}' is not valid JSON (it holds bytes that are not UTF-8); save it as UTF-8");
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 16 });
        }
        catch (JsonException e) { throw new FpQuantException($"'{path}' is not valid JSON ({e.Message})", e); }
        catch (IOException e) { throw new FpQuantException($"cannot read '{path}': {e.Message}", e); }
    }

    public static JsonElement Object(JsonElement e, string path, string where)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new FpQuantException($"'{path}': {where} must be a JSON object, found {e.ValueKind}");
        return e;
    }

    public static JsonElement Property(JsonElement o, string name, string path, string where)
    {
        if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(name, out var v))
            throw new FpQuantException($"'{path}': {where} has no \"{name}\"");
        return v;
    }

    public static double Number(JsonElement e, string path, string where)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double d) || !double.IsFinite(d))
            throw new FpQuantException($"'{path}': {where} must be a finite number, found {e.ValueKind}");
        return d;
    }

    public static int Int(JsonElement e, string path, string where)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int i))
            throw new FpQuantException($"'{path}': {where} must be an integer, found " +
                $"{(e.ValueKind == JsonValueKind.Number ? e.GetRawText() : e.ValueKind.ToString())}");
        return i;
    }

    public static double[] Numbers(JsonElement e, int count, string path, string where)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != count)
            throw new FpQuantException($"'{path}': {where} must be an array of {count} numbers");
        var r = new double[count];
        int i = 0;
        foreach (var x in e.EnumerateArray()) r[i] = Number(x, path, $"{where}[{i++}]");
        return r;
    }

    public static int KeyId(string key, string path)
    {
        if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            throw new FpQuantException($"'{path}': key \"{key}\" is not an integer id");
        return id;
    }

    public static Mat3 Rotation(double[] r) => new(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);

    /// <summary>A 4x4 row-major transform (BOP's discrete symmetries).</summary>
    public static Pose Transform(double[] m) =>
        new(new Mat3(m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]), new Vec3(m[3], m[7], m[11]));

    public static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
