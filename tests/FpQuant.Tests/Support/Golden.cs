using System.Text.Json;
using FpQuant.Core;
using FpQuant.Runtime;

namespace FpQuant.Tests.Support;

/// <summary>The networks-seed0 golden set: inputs and PyTorch outputs with the manifest's shapes.</summary>
public static class Golden
{
    public static JsonElement NetworksManifest { get; } =
        JsonDocument.Parse(File.ReadAllText(TestPaths.Golden("networks-seed0", "manifest.json"))).RootElement;

    public static FloatTensor Load(string name)
    {
        var shape = NetworksManifest.GetProperty("files").GetProperty(name).GetProperty("shape")
            .EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return new FloatTensor(shape,
            RawTensorFile.Read(TestPaths.Golden("networks-seed0", name + ".bin"), FloatTensor.ElementCount(shape),
                name));
    }

    /// <summary>The manifest's rule: within 1e-4 * max(1, max|ref|).</summary>
    public static void AssertClose(FloatTensor expected, FloatTensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        float maxRef = expected.Data.Max(MathF.Abs);
        double tol = 1e-4 * Math.Max(1.0, maxRef);
        for (int i = 0; i < expected.Data.Length; i++)
            Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= tol,
                $"{what}[{i}]: expected {expected.Data[i]}, got {actual.Data[i]} (tolerance {tol})");
    }
}
