using FpQuant.Core;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;

namespace FpQuant.DataSources;

/// <summary>
/// Parses a data spec (--calibration, --evaluation): npy:DIR[:COUNT], images:DIR[:COUNT], text:FILE[:COUNT] for any
/// model; synthetic:COUNT[:SEED] and scene:demo|FOLDER[:COUNT] for FoundationPose's networks.
/// </summary>
public static class CalibrationSpec
{
    public const string Help = "use npy:DIR[:COUNT] (one INPUT.npy per model input, samples on axis 0), images:DIR[:COUNT] (PNG/JPEG for an image model), "
        + "text:FILE[:COUNT] (one sentence a line, for a BERT-style model), synthetic:COUNT[:SEED] or scene:demo|FOLDER[:COUNT] (FoundationPose crops), or --calibration-dir DIR";

    public static CalibrationSource Parse(string spec, string? dir, int batch) => Parse(spec, dir, new DataOptions { BatchSize = batch });

    public static CalibrationSource Parse(string spec, string? dir, DataOptions options)
    {
        if (dir != null) return new FolderCalibrationSource(dir);
        int colon = spec.IndexOf(':');
        if (colon <= 0) throw new FpQuantException($"--calibration '{spec}': {Help}");
        string kind = spec[..colon], rest = spec[(colon + 1)..];
        switch (kind)
        {
            case "npy":
            {
                var (path, count) = PathAndCount(spec, rest);
                return new NpyCalibrationSource(path, count, options.BatchSize);
            }
            case "images":
            {
                var (path, count) = PathAndCount(spec, rest);
                return new ImageCalibrationSource(path, count, options.Image, options.BatchSize);
            }
            case "text":
            {
                var (path, count) = PathAndCount(spec, rest);
                return new TextCalibrationSource(path, count, options.Text, options.BatchSize);
            }
            case "scene":
            {
                var (path, count) = PathAndCount(spec, rest);
                return new SceneCalibrationSource(Scene.Open(path), count ?? 32, options.BatchSize);
            }
            case "synthetic":
            {
                var parts = rest.Split(':');
                if (parts.Length > 2 || !int.TryParse(parts[0], out int n) || n <= 0 || (parts.Length == 2 && !ulong.TryParse(parts[1], out _)))
                    throw new FpQuantException($"--calibration '{spec}': {Help}");
                return new SyntheticCalibrationSource(n, parts.Length == 2 ? ulong.Parse(parts[1]) : 0, options.BatchSize);
            }
            default:
                throw new FpQuantException($"--calibration '{spec}': {Help}");
        }
    }

    /// <summary>"PATH" or "PATH:COUNT" (the count a positive whole number after the last ':').</summary>
    private static (string Path, int? Count) PathAndCount(string spec, string rest)
    {
        int colon = rest.LastIndexOf(':');
        int? count = null;
        if (colon > 0 && int.TryParse(rest[(colon + 1)..], out int c))
        {
            if (c <= 0) throw new FpQuantException($"--calibration '{spec}': the count must be positive");
            count = c;
            rest = rest[..colon];
        }
        if (rest.Length == 0) throw new FpQuantException($"--calibration '{spec}': {Help}");
        return (rest, count);
    }
}
