using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>How sessions are made: the execution provider is a setting, never an assumption.</summary>
internal sealed record RuntimeSettings
{
    public ExecutionProviderKind Provider { get; init; } = ExecutionProviderKind.Cpu;
    /// <summary>Intra-op threads; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; } = Environment.ProcessorCount;
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
    public int DeviceId { get; init; }
    /// <summary>Where ONNX Runtime writes the optimized graph (its own way to cut later start-up), or null.</summary>
    public string? OptimizedModelPath { get; init; }
    /// <summary>Folder for TensorRT's engine and timing caches, or null.</summary>
    public string? TensorRtCacheDir { get; init; }
    /// <summary>How CPU memory for activations is kept between runs (see <see cref="MemoryArena"/>).</summary>
    public MemoryArena Arena { get; init; } = MemoryArena.Shrinking;
    /// <summary>File prefix for ONNX Runtime's profiler, or null for no profiling.</summary>
    public string? ProfilePrefix { get; init; }

    /// <summary>
    /// The TensorRT provider's options: the device, and its engine and timing caches when a folder is set.
    /// </summary>
    public Dictionary<string, string> TensorRtOptions()
    {
        var opts = new Dictionary<string,
            string> { ["device_id"] = DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (TensorRtCacheDir != null)
        {
            opts["trt_engine_cache_enable"] = "1";
            opts["trt_engine_cache_path"] = TensorRtCacheDir;
            opts["trt_timing_cache_enable"] = "1";
            opts["trt_timing_cache_path"] = TensorRtCacheDir;
        }
        return opts;
    }

    /// <summary>Options for one run under these settings (the arena's shrinking is asked for per run).</summary>
    public RunOptions CreateRunOptions() => SharedArena.RunOptionsFor(Arena);

    /// <summary>ONNX Runtime's own log lines (warnings, and errors it also raises as exceptions) stay off stderr:
    /// every failure reaches the user once, as the one-line error its exception becomes.</summary>
    private static readonly Lazy<bool> QuietEnvironment = new(() =>
    {
        OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        return true;
    });

    public SessionOptions CreateSessionOptions()
    {
        _ = QuietEnvironment.Value;
        var o = new SessionOptions
        {
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
            GraphOptimizationLevel = OptimizationLevel,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = 1,
        };
        if (OptimizedModelPath != null) o.OptimizedModelFilePath = OptimizedModelPath;
        switch (Arena)
        {
            case MemoryArena.Shared:
                SharedArena.EnsureRegistered();
                o.AddSessionConfigEntry("session.use_env_allocators", "1");
                break;
            case MemoryArena.None:
                o.EnableCpuMemArena = false;
                break;
        }
        // The prefix must be set before profiling is enabled: enabling passes the current prefix to ONNX Runtime.
        if (ProfilePrefix != null) { o.ProfileOutputPathPrefix = ProfilePrefix; o.EnableProfiling = true; }
        try
        {
            switch (Provider)
            {
                case ExecutionProviderKind.Cuda:
                    o.AppendExecutionProvider_CUDA(DeviceId);
                    break;
                case ExecutionProviderKind.TensorRt:
                    // ONNX Runtime copies the options when the provider is appended; the native handle is ours to free.
                    using (var trt = new OrtTensorRTProviderOptions())
                    {
                        trt.UpdateOptions(TensorRtOptions());
                        o.AppendExecutionProvider_Tensorrt(trt);
                    }
                    o.AppendExecutionProvider_CUDA(DeviceId);
                    break;
            }
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            o.Dispose();
            throw new FpQuantException($"execution provider '{Provider}' is not available in this ONNX Runtime build " +
                $"({e.Message}); " +
                "use the CPU provider; for a GPU, build with -p:OrtGpu=true (Microsoft.ML.OnnxRuntime.Gpu.Linux) on " +
                "a machine with the CUDA 13 and cuDNN libraries", e);
        }
        return o;
    }
}
