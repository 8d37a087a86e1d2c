using System.CommandLine;
using System.Globalization;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Training;

namespace FpQuant.Cli.Commands;

/// <summary>`fpquant crops`: the networks' inputs and their ground truth as NumPy shards.</summary>
internal static class CropsCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description =
            "Folder for the shards and manifest.json (new or empty)", Required = true };
        var scene = new Option<string>("--scene") { Description = "demo, random (a new demo scene per sample) a " +
            "scene folder with true_pose.txt, or a BOP-format dataset (its first selected instance and its ground " +
            "truth)", DefaultValueFactory = _ => "demo" };
        var count = new Option<long>("--count") { Description = "Refine pairs / score groups to write (each, for " +
            "--kind both); 0 streams until Ctrl-C", DefaultValueFactory = _ => 1024 };
        var shardSize = new Option<int>("--shard-size") { Description =
            "Samples per shard (pairs for refine, groups for score); default about 256 pairs' worth" };
        var kind =
            new Option<string>("--kind") { Description = "refine, score or both", DefaultValueFactory = _ => "refine" };
        var maxRot = new Option<double>("--max-rot-deg") { Description =
            "Hypotheses turn up to this many degrees from the truth", DefaultValueFactory = _ => 15 };
        var maxTrans = new Option<double>("--max-trans-frac") { Description =
            "Hypotheses move up to this fraction of the object's diameter", DefaultValueFactory = _ => 0.1 };
        var group =
            new Option<int>("--group") { Description = "Hypotheses per score group", DefaultValueFactory = _ => 16 };
        var dtype = new Option<string>("--dtype") { Description = "Crop element type: float32 or float16",
            DefaultValueFactory = _ => "float32" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every random draw (same seed, same files)" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: one per core)",
            DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("crops",
            "Write RefineNet/ScoreNet inputs with their ground truth (targets, errors) as NumPy shards")
        {
            output, scene, count, shardSize, kind, maxRot, maxTrans, group, dtype, seed, threads,
        };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            int t = p.GetValue(threads);
            if (t < 1) throw new FpQuantException($"--threads must be at least 1, got {t}");
            var options = new CropSetOptions
            {
                Scene = p.GetValue(scene)!, Count = p.GetValue(count), ShardSize = p.GetValue(shardSize),
                Kind = FlagValues.CropKind(p.GetValue(kind)!), MaxRotationDeg = p.GetValue(maxRot),
                MaxTranslationFraction = p.GetValue(maxTrans), Group = p.GetValue(group),
                CropType = FlagValues.CropType(p.GetValue(dtype)!), Seed = p.GetValue(seed), Threads = t,
            };
            if (p.GetResult(shardSize) != null && options.ShardSize < 1)
                throw new FpQuantException($"--shard-size must be positive, got {options.ShardSize}");
            return LongRun.CancelOnCtrlC(cancel =>
            {
                var ci = CultureInfo.InvariantCulture;
                var progress = new SynchronousProgress<CropSetProgress>(pr => Console.Error.WriteLine(string.Create(ci,
                    $"[crops] {pr.Shard}: {pr.RefinePairs} refine pairs, {pr.ScoreGroups} score groups, " +
                    $"{pr.PairsPerSecond:F1} pairs/s, {pr.Seconds:F1} s, working set " +
                    $"{pr.WorkingSetBytes / 1048576.0:F0} MiB")));
                var s = new CropSetWriter(options, p.GetValue(output)!, progress).Run(cancel);
                Console.WriteLine(string.Create(ci,
                    $"{(s.Stopped ? "stopped: " : "")}{s.RefinePairs} refine pairs and {s.ScoreGroups} score groups " +
                    $"in {s.Shards} shard(s), {s.Seconds:F1} s, {s.PairsPerSecond:F1} pairs/s; manifest: " +
                    $"{s.ManifestPath}"));
                // Streaming (--count 0) ends with Ctrl-C by design; a counted run that was stopped did not finish.
                return s.Stopped && options.Count > 0 ? 130 : 0;
            });
        }));
        return cmd;
    }
}
