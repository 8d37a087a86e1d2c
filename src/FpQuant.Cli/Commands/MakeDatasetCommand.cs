using System.CommandLine;
using FpQuant.Datasets;

namespace FpQuant.Cli.Commands;

/// <summary>`fpquant make-dataset`: a small BOP-format dataset rendered from the demo objects.</summary>
internal static class MakeDatasetCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description =
            "Folder to write the dataset into (models/, test/, test_targets_bop19.json)", Required = true };
        var images = new Option<int>("--images") { Description =
            "Images to render (two objects each, split over two scenes)", DefaultValueFactory = _ => 8 };
        var seed = new Option<ulong>("--seed") { Description = "Seed for the poses and the noise",
            DefaultValueFactory = _ => 0UL };
        var video = new Option<bool>("--video") { Description = "Write one scene of consecutive frames for tracking " +
            "instead (camera moving smoothly, the box passing in front, fresh depth noise every frame)" };
        var frames = new Option<int>("--frames") { Description = "Frames of the --video sequence",
            DefaultValueFactory = _ => 60 };
        var cmd = new Command("make-dataset",
            "Render a small dataset in the BOP format (the demo bottle and a box that partly hides it, at known " +
            "poses) for eval without downloads")
        {
            output, images, seed, video, frames,
        };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            string dir = p.GetValue(output)!;
            if (p.GetValue(video) && p.GetResult(images) is { Implicit: false })
                throw new FpQuant.Core.FpQuantException(
                    "--images is for still images; a --video sequence takes --frames");
            if (!p.GetValue(video) && p.GetResult(frames) is { Implicit: false })
                throw new FpQuant.Core.FpQuantException("--frames needs --video (still images take --images)");
            if (p.GetValue(video))
            {
                var v = SyntheticVideo.Write(dir, p.GetValue(frames), p.GetValue(seed));
                Console.WriteLine($"wrote a sequence of {v.Images} frames (scene {SyntheticVideo.SceneId}, the " +
                    $"bottle visible {v.Instances.Where(i => i.ObjId == SyntheticBopDataset.BottleId).Min(i => i.VisibFract):F2}..{v.Instances.Where(i => i.ObjId == SyntheticBopDataset.BottleId).Max(i => i.VisibFract):F2}) to {dir}");
                Console.WriteLine($"track it with: fpquant track --sequence {dir} --out track-results");
                return 0;
            }
            var s = SyntheticBopDataset.Write(dir, p.GetValue(images), p.GetValue(seed));
            var vis = s.Instances.Select(i => i.VisibFract).ToList();
            Console.WriteLine($"wrote {s.Images} image(s) in {s.Scenes} scene(s), {s.Instances.Count} object " +
                $"instances (visible fraction {vis.Min():F2}..{vis.Max():F2}) to {dir}");
            Console.WriteLine($"evaluate with: fpquant eval --dataset {dir} --variants fp32 --out eval-results");
            return 0;
        }));
        return cmd;
    }
}
