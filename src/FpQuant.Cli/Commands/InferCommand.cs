using System.CommandLine;
using FpQuant.Runtime;

namespace FpQuant.Cli.Commands;

public static class InferCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX model file", Required = true };
        var inputs = new Option<string[]>("--input") { Description = "NAME=FILE.bin, raw little-endian float32 in the model's layout (repeat per input)", Required = true, AllowMultipleArgumentsPerToken = false };
        var batch = new Option<int>("--batch") { Description = "Batch size N of the inputs", Required = true };
        var outDir = new Option<string>("--out") { Description = "Folder for NAME.bin outputs and outputs.json", Required = true };
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var cmd = new Command("infer", "Run a model on raw float32 inputs and write its outputs") { model, inputs, batch, outDir, provider, threads };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var result = ModelInference.Run(p.GetValue(model)!, p.GetValue(inputs)!, p.GetValue(batch), p.GetValue(outDir)!,
                CommonOptions.Settings(p, provider, threads));
            foreach (var (name, shape) in result)
                Console.WriteLine($"{name} [{string.Join("x", shape)}]");
            return 0;
        }));
        return cmd;
    }
}
