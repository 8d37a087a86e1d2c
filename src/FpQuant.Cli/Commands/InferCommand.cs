using System.CommandLine;
using FpQuant.Runtime;

namespace FpQuant.Cli.Commands;

internal static class InferCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX model file", Required = true };
        var inputs = new Option<string[]>("--input") { Description = "NAME=FILE.npy (any numeric or bool type, " +
            "converted to the input's: float files for float inputs, integer/bool files for integer/bool inputs; " +
            "samples on axis 0) or NAME=FILE.bin (raw little-endian float32 in the model's layout); repeat per input " +
            "(none for a model without inputs)", AllowMultipleArgumentsPerToken = false };
        var batch =
            new Option<int>("--batch") { Description = "Batch size N of .bin inputs (.npy files carry their own)" };
        var npy = new Option<bool>("--npy") { Description = "Write outputs as NAME.npy (with their shape and type) " +
            "instead of raw NAME.bin (little-endian, in the type outputs.json names)" };
        var outDir = new Option<string>("--out") { Description = "Folder for NAME.bin outputs and outputs.json",
            Required = true };
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var cmd = new Command("infer",
            "Run any ONNX model on .npy or raw float32 inputs and write every output in its own type") { model, inputs,
            batch, outDir, npy, provider, threads };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var result =
                ModelInference.Run(p.GetValue(model)!, p.GetValue(inputs) ?? [], p.GetValue(batch), p.GetValue(outDir)!,
                CommonOptions.Settings(p, provider, threads), p.GetValue(npy));
            foreach (var (name, shape) in result)
                Console.WriteLine($"{name} [{string.Join("x", shape)}]");
            return 0;
        }));
        return cmd;
    }
}
