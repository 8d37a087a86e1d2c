using System.Runtime.InteropServices;

namespace FpQuant.Core;

/// <summary>Raw little-endian float32 files in C order, the exchange format of infer and the golden sets.</summary>
internal static class RawTensorFile
{
    public static float[] Read(string path, long expectedElements, string tensorName)
    {
        if (!File.Exists(path))
            throw new FpQuantException($"input '{tensorName}': file '{path}' does not exist");
        if (expectedElements < 0 || expectedElements > Array.MaxLength)
            throw new FpQuantException($"input '{tensorName}': its shape needs {expectedElements} float32 values, " +
                $"more than one array holds; check the batch size and the shape");
        long bytes = new FileInfo(path).Length;
        if (bytes != expectedElements * 4)
            throw new FpQuantException($"input '{tensorName}': file '{path}' has {bytes} bytes, but its shape needs " +
                $"{expectedElements} float32 values = {expectedElements * 4} bytes; check the batch size and the " +
                $"layout");
        var data = new float[expectedElements];
        try
        {
            using var fs = File.OpenRead(path);
            fs.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"input '{tensorName}': cannot read '{path}': {e.Message}", e);
        }
        return data;
    }

    public static float[] ReadAll(string path)
    {
        if (!File.Exists(path)) throw new FpQuantException($"file '{path}' does not exist");
        long length = new FileInfo(path).Length;
        if (length % 4 != 0)
            throw new FpQuantException($"file '{path}' has {length} bytes, not a whole number of float32 values");
        if (length / 4 > Array.MaxLength)
            throw new FpQuantException($"file '{path}' has {length} bytes, more float32 values than one array holds");
        var data = new float[length / 4];
        try
        {
            using var fs = File.OpenRead(path);
            fs.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"cannot read '{path}': {e.Message}", e);
        }
        return data;
    }

    public static void Write(string path, ReadOnlySpan<float> data) =>
        AtomicFile.WriteAllBytes(path, MemoryMarshal.AsBytes(data));
}
