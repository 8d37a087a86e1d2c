using System.Runtime.InteropServices;

namespace FpQuant.Core;

/// <summary>Raw little-endian float32 files in C order, the exchange format of infer and the golden sets.</summary>
public static class RawTensorFile
{
    public static float[] Read(string path, long expectedElements, string tensorName)
    {
        if (!File.Exists(path))
            throw new FpQuantException($"input '{tensorName}': file '{path}' does not exist");
        long bytes = new FileInfo(path).Length;
        if (bytes != expectedElements * 4)
            throw new FpQuantException($"input '{tensorName}': file '{path}' has {bytes} bytes, but its shape needs {expectedElements} float32 values = {expectedElements * 4} bytes; check --batch and the layout");
        var data = new float[expectedElements];
        using var fs = File.OpenRead(path);
        fs.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        return data;
    }

    public static float[] ReadAll(string path)
    {
        if (!File.Exists(path)) throw new FpQuantException($"file '{path}' does not exist");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length % 4 != 0) throw new FpQuantException($"file '{path}' has {bytes.Length} bytes, not a whole number of float32 values");
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    public static void Write(string path, ReadOnlySpan<float> data) =>
        AtomicFile.WriteAllBytes(path, MemoryMarshal.AsBytes(data));
}
