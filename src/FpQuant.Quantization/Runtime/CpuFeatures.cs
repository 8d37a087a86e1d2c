using System.Runtime.Intrinsics.X86;

namespace FpQuant.Runtime;

/// <summary>
/// What the CPU offers ONNX Runtime's integer kernels. Without VNNI, x64 int8 dot products go through 16-bit
/// pairwise sums (vpmaddubsw) that saturate when u8 activations meet full-range s8 weights (255*127*2 > 32767),
/// which is why ONNX Runtime recommends reduce_range (7-bit weights) there.
/// </summary>
internal static class CpuFeatures
{
    private static readonly Lazy<HashSet<string>> Flags = new(ReadFlags);

    public static bool HasVnni => Flags.Value.Contains("avx512_vnni") || Flags.Value.Contains("avx_vnni")
        || AvxVnni.IsSupported;
    public static bool HasAvx512 => Flags.Value.Contains("avx512f") || Avx512F.IsSupported;
    public static bool HasAvx2 => Avx2.IsSupported;

    public static string Describe() =>
        $"{(HasAvx512 ? "AVX-512" : HasAvx2 ? "AVX2" : "no AVX2")}, {(HasVnni ? "VNNI" : "no VNNI")}";

    /// <summary>
    /// Whether u8 x s8 integer kernels on this execution provider need 7-bit weights to avoid saturation.
    /// </summary>
    public static bool NeedsReducedRangeWeights(ExecutionProviderKind provider) =>
        provider == ExecutionProviderKind.Cpu
            && (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
                == System.Runtime.InteropServices.Architecture.X64) && !HasVnni;

    private static HashSet<string> ReadFlags()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return set;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal))
                {
                    foreach (var f in line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                        set.Add(f);
                    break;
                }
        }
        catch (IOException) { }
        return set;
    }
}
