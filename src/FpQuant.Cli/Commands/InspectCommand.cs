using System.CommandLine;
using System.Text.Json;
using FpQuant.Core;
using FpQuant.Networks;

namespace FpQuant.Cli.Commands;

internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A .pth checkpoint or an .onnx model" };
        var measure = new Option<bool>("--measure-load") { Description =
            "For a checkpoint: time the state_dict load and its peak extra memory" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        var cmd = new Command("inspect", "Describe a checkpoint (.pth) or an ONNX model") { file, measure, json };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            string path = p.GetValue(file)!;
            if (!File.Exists(path)) throw new FpQuantException($"'{path}' does not exist");
            bool isOnnx = path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || LooksLikeOnnx(path);
            object report = isOnnx ? ModelInspector.Inspect(path)
                : CheckpointInspector.Inspect(path, p.GetValue(measure));
            if (p.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(report, ReportJson.Indented));
            else
                foreach (var line in report is ModelInspection mi ? mi.Lines() : ((CheckpointInspection)report).Lines())
                    Console.WriteLine(line);
            return 0;
        }));
        return cmd;
    }

    /// <summary>A .pth is a zip (PK) or a pickle (0x80); anything else is tried as ONNX.</summary>
    private static bool LooksLikeOnnx(string path)
    {
        using var fs = File.OpenRead(path);
        int a = fs.ReadByte(), b = fs.ReadByte();
        return !(a == 'P' && b == 'K') && a != 0x80;
    }
}
