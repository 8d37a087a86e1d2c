using System.CommandLine;
using FpQuant.Checkpoints;

namespace FpQuant.Cli.Commands;

internal static class MakeCheckpointCommand
{
    public static Command Create()
    {
        var net = new Option<string>("--net") { Description = "refine or score", Required = true };
        var weights = CommonOptions.Weights();
        var output = new Option<string>("--out") { Description = "Output .pth", Required = true };
        var optimizer = new Option<bool>("--with-optimizer") { Description =
            "Add Adam optimizer state, as FoundationPose's training checkpoints carry" };
        var cmd = new Command("make-checkpoint",
            "Write a FoundationPose-style torch.save checkpoint ({'model': state_dict, ...}) from any weight source")
        { net, weights, output, optimizer };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var kind = FlagValues.Net(p.GetValue(net)!);
            var sd = Networks.WeightSource.Load(kind, p.GetValue(weights)!);
            string outPath = p.GetValue(output)!;
            TorchCheckpointWriter.WriteTrainingCheckpoint(outPath, sd, p.GetValue(optimizer));
            Console.WriteLine($"wrote {outPath} ({new FileInfo(outPath).Length / 1e6:F1} MB)");
            return 0;
        }));
        return cmd;
    }
}
