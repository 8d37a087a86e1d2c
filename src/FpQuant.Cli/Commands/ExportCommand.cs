using System.CommandLine;
using FpQuant.Networks;

namespace FpQuant.Cli.Commands;

internal static class ExportCommand
{
    public static Command Create()
    {
        var net = new Option<string>("--net") { Description = "Network: refine or score", Required = true };
        var weights = CommonOptions.Weights();
        var layout = new Option<string>("--layout") { Description =
            "nchw (inputs A, B) or isaac (input1, input2, NHWC)", DefaultValueFactory = _ => "nchw" };
        var output = new Option<string>("--out") { Description = "Output .onnx file", Required = true };
        var cmd = new Command("export", "Build RefineNet or ScoreNetMultiPair as an ONNX model") { net, weights, layout,
            output };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var kind = FlagValues.Net(p.GetValue(net)!);
            var lay = FlagValues.Layout(p.GetValue(layout)!);
            string outPath = p.GetValue(output)!;
            NetworkExport.Export(kind, p.GetValue(weights)!, lay, outPath);
            Console.WriteLine($"wrote {outPath} ({kind.ClassName()}, {lay.Id()}, " +
                $"{new FileInfo(outPath).Length / 1e6:F1} MB)");
            return 0;
        }));
        return cmd;
    }
}
