using System.Diagnostics;
using FpQuant.Core;
using Xunit.Abstractions;

namespace FpQuant.Tests.Fuzz;

/// <summary>
/// Feeds a reader its mutated inputs and checks the one contract every reader has: an input either loads or is
/// refused with an FpQuantException, within a time and an allocation bound. Anything else (another exception type,
/// a slow or allocation-heavy input) is a failure, reported with its input index so it can be replayed.
/// </summary>
public static class FuzzRunner
{
    /// <summary>Inputs per reader in the suite; FPQUANT_FUZZ_SCALE multiplies it for longer local campaigns.</summary>
    public const int InputsPerReader = 2000;

    public static int Scale =>
        int.TryParse(Environment.GetEnvironmentVariable("FPQUANT_FUZZ_SCALE"), out int s) && s > 0 ? s : 1;

    public static int Count => InputsPerReader * Scale;

    public sealed record Failure(int Index, string Seed, string Kind, string Detail);

    /// <summary>Runs <see cref="Count"/> inputs: input i is seed i mod seeds mutated with index i (the unmutated seeds
    /// come first, and must load). <paramref name="load"/> gets the seed and the bytes of one input and reads them the
    /// way a user's file would be read; the bounds apply to that call alone.</summary>
    public static void Run(ITestOutputHelper output, string reader, IReadOnlyList<FuzzSeed> seeds,
        Action<FuzzSeed, byte[]> load,
        Func<FuzzSeed, int, byte[]>? mutate = null, long maxAllocatedBytes = 64L << 20, double maxSeconds = 3.0)
    {
        var failures = new List<Failure>();
        int loaded = 0, refused = 0;
        long maxAlloc = 0;
        double maxTime = 0;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < Count; i++)
        {
            var seed = seeds[i % seeds.Count];
            byte[] input = i < seeds.Count ? seed.Bytes : (mutate ?? Mutator.Mutate)(seed, i);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            string? error = null;
            bool ok = false;
            try
            {
                load(seed, input);
                loaded++;
                ok = true;
            }
            catch (FpQuantException e)
            {
                refused++;
                if (e.Message.Contains('\n') || e.Message.Contains('\r') || e.Message.Length > ErrorText.MaxLength + 40)
                    error = $"FpQuantException message is not one short line ({e.Message.Length} chars)";
            }
            catch (Exception e)
            {
                error = $"{e.GetType().Name}: {ErrorText.Quote(e.Message, 160)} at {TopFrame(e)}";
            }
            double seconds = sw.Elapsed.TotalSeconds;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            maxAlloc = Math.Max(maxAlloc, allocated);
            maxTime = Math.Max(maxTime, seconds);
            if (i < seeds.Count && error == null && !ok) error = "the unmutated seed does not load";
            if (error != null) failures.Add(new(i, seed.Name, "crash", error));
            if (seconds > maxSeconds) failures.Add(new(i, seed.Name, "slow", $"{seconds:F2} s"));
            if (allocated > maxAllocatedBytes)
                failures.Add(new(i, seed.Name, "allocation", $"{allocated / 1e6:F1} MB"));
        }
        string summary = $"fuzz {reader}: {Count} inputs ({seeds.Count} seeds), {loaded} loaded, {refused} refused, " +
            $"{failures.Count} failures; slowest {maxTime * 1000:F1} ms, most allocated {maxAlloc / 1e6:F2} MB, " +
            $"total {total.Elapsed.TotalSeconds:F1} s";
        output.WriteLine(summary);
        if (Environment.GetEnvironmentVariable("FPQUANT_FUZZ_LOG") is { Length: > 0 } log)
            File.AppendAllText(log, summary + "\n" + string.Concat(failures.Take(50).Select(f => $"  {f}\n")));
        var signatures = failures.GroupBy(f => f.Kind + ": " + f.Detail.Split(" at ")[0]
            .Split(':')[0] + " at " + (f.Detail.Contains(" at ") ? f.Detail[(f.Detail.IndexOf(" at ") + 4)..] : ""))
            .Select(g =>
                $"{g.Count()} x {g.Key} (first: input {g.First().Index}, seed {g.First().Seed}: {g.First().Detail})");
        Assert.True(failures.Count == 0, summary + "\n" + string.Join("\n", signatures.Take(20)));
    }

    private static string TopFrame(Exception e)
    {
        var frames = new StackTrace(e, false).GetFrames();
        var mine = frames.FirstOrDefault(f =>
            f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("FpQuant", StringComparison.Ordinal) == true);
        var m = (mine ?? frames.FirstOrDefault())?.GetMethod();
        return m == null ? "?" : $"{m.DeclaringType?.Name}.{m.Name}";
    }
}
