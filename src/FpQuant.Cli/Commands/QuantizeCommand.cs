using System.CommandLine;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Inputs;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;

namespace FpQuant.Cli.Commands;

internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model =
            new Option<string>("--model") { Description = "ONNX model to quantize (any model; ours or Isaac ROS's)" };
        var net = new Option<string>("--net") { Description =
            "Instead of --model: export this network (refine or score) first" };
        var weights = CommonOptions.Weights();
        var output = new Option<string>("--out") { Description =
            "Output .onnx (default with --net: weights/<net>/model_quantized.onnx)" };
        var preset = new Option<string>("--preset") { Description =
            $"Recipe: {string.Join(", ", FoundationPosePresets.All.Keys)} (autoquant: FoundationPose networks only)" };
        var presetFile = new Option<string>("--preset-file") { Description =
            "Recipe from a JSON preset file (e.g. written by autoquant)" };
        var mode = new Option<string>("--mode") { Description = "static, dynamic, weights-only or fp16" };
        var format = new Option<string>("--format") { Description = "qdq or qoperator" };
        var wtype = new Option<string>("--weight-type") { Description = "s8 or u8" };
        var atype = new Option<string>("--activation-type") { Description = "u8 or s8" };
        var perChannel = new Option<bool>("--per-channel") { Description =
            "Per-channel weights (Conv axis 0, MatMul B axis 1, Gemm by transB)" };
        var perTensor = new Option<bool>("--per-tensor") { Description = "Per-tensor weights" };
        var symW = new Option<string>("--symmetric-weights") { Description = "true or false" };
        var symA = new Option<string>("--symmetric-activations") { Description = "true or false" };
        var reduce = new Option<string>("--reduce-range") { Description = "7-bit weights (ONNX Runtime's " +
            "reduce_range): on, off, or auto (on for an x64 CPU without VNNI; the default)" };
        var reduceAct = new Option<bool>("--reduce-range-activations") { Description =
            "7-bit activations (PyTorch's reduce_range)" };
        var ops = new Option<string[]>("--op-types") { Description =
            "Op types to quantize (comma-separated or repeated)", AllowMultipleArgumentsPerToken = true };
        var include = new Option<string[]>("--include") { Description =
            "Quantize only nodes matching this name or glob (repeatable)" };
        var exclude = new Option<string[]>("--exclude") { Description =
            "Keep nodes matching this name or glob float, e.g. '*att*' (repeatable)" };
        var floatTensors = new Option<string[]>("--float-tensors") { Description = "Keep these activation tensors " +
            "(names or globs) float: no Q/DQ pair on them (comma-separated or repeated)",
            AllowMultipleArgumentsPerToken = true };
        var method =
            new Option<string>("--calibration-method") { Description = "minmax, percentile, entropy or histogram-l2" };
        var percentile = new Option<double?>("--percentile") { Description =
            "Percentile for --calibration-method percentile (default 99.999)" };
        var bins = new Option<int?>("--bins") { Description = "Histogram bins (default 2048)" };
        var qbins = new Option<int?>("--quantized-bins") { Description = "Quantized bins for entropy (default 128)" };
        var calib = new Option<string>("--calibration") { Description =
            $"Calibration data: {FoundationPoseInputs.Kinds.Help}", DefaultValueFactory = _ => "synthetic:32:0" };
        var calibDir = new Option<string>("--calibration-dir") { Description =
            "Folder of PREFIX.INPUT.bin raw float32 calibration inputs" };
        var calibBatch = new Option<int>("--calibration-batch") { Description = "Pairs per calibration batch " +
            "(ScoreNet scores each batch as one group)", DefaultValueFactory = _ => CalibrationDefaults.BatchSize };
        var block =
            new Option<string[]>("--fp16-block") { Description = "Op types kept float32 in fp16 mode (repeatable)" };
        var fp16Io = new Option<string>("--fp16-io") { Description =
            "fp16 mode: keep float32 inputs and outputs (float32, the default) or make them float16" };
        var smooth = new Option<string>("--smooth") { Description = "Outlier smoothing (SmoothQuant) of MatMul/Gemm " +
            "inputs before quantizing: auto or per-layer (each layer's alpha searched on the calibration data), " +
            "none, or one migration strength ALPHA in [0, 1] for every layer (SmoothQuant's own is 0.5)" };
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var cmd = new Command("quantize", "Quantize an ONNX model: static/dynamic/weights-only/fp16, QDQ or QOperator")
        {
            model, net, weights, output, preset, presetFile, mode, format, wtype, atype, perChannel, perTensor, symW,
            symA, reduce, reduceAct,
            ops, include, exclude, floatTensors, method, percentile, bins, qbins, calib, calibDir, calibBatch, block,
            fp16Io, smooth,
            provider, threads,
        };
        var data = new DataCommandOptions();
        data.AddTo(cmd);
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            string? modelPath = p.GetValue(model), netName = p.GetValue(net);
            if ((modelPath == null) == (netName == null))
                throw new FpQuantException("give exactly one of --model FILE.onnx or --net refine|score");
            string? presetName = p.GetValue(preset), presetPath = p.GetValue(presetFile);
            if (presetName != null && presetPath != null)
                throw new FpQuantException("give --preset or --preset-file, not both");
            string outPath;
            global::Onnx.ModelProto input;
            string sourceName;
            if (netName != null)
            {
                var kind = FlagValues.Net(netName);
                input = NetworkExport.Build(kind, p.GetValue(weights)!);
                sourceName = $"{kind.Id()} ({WeightSource.Describe(kind, p.GetValue(weights)!)})";
                outPath = p.GetValue(output) ?? Path.Combine("weights", kind.Id(), "model_quantized.onnx");
            }
            else
            {
                input = OnnxModelFile.Load(modelPath!);
                sourceName = modelPath!;
                outPath = p.GetValue(output) ?? throw new FpQuantException("--out is required with --model");
            }
            // FoundationPose's networks get its recipes (module lists); any other model the generic ones.
            var o = presetPath != null ? QuantizationPresets.LoadFile(presetPath)
                : presetName == null ? new QuantizationOptions()
                : FoundationPosePresets.For(presetName, input, sourceName);
            bool Given(Option opt) => p.GetResult(opt) != null;
            if (Given(mode)) o = o with { Mode = FlagValues.QuantMode(p.GetValue(mode)!) };
            if (Given(format)) o = o with { Format = FlagValues.QuantFormat(p.GetValue(format)!) };
            if (Given(wtype)) o = o with { WeightType = FlagValues.QuantType(p.GetValue(wtype)!, "--weight-type") };
            if (Given(atype))
                o = o with { ActivationType = FlagValues.QuantType(p.GetValue(atype)!, "--activation-type") };
            if (p.GetValue(perChannel) && p.GetValue(perTensor))
                throw new FpQuantException("give --per-channel or --per-tensor, not both");
            if (p.GetValue(perChannel)) o = o with { PerChannel = true };
            if (p.GetValue(perTensor)) o = o with { PerChannel = false };
            if (Given(symW)) o = o with { SymmetricWeights = ParseBool(p.GetValue(symW)!, "--symmetric-weights") };
            if (Given(symA))
                o = o with { SymmetricActivations = ParseBool(p.GetValue(symA)!, "--symmetric-activations") };
            if (Given(reduce))
                o = o with { ReduceRange = p.GetValue(reduce)!.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)
                    ? null : ParseBool(p.GetValue(reduce)!, "--reduce-range") };
            if (p.GetValue(reduceAct)) o = o with { ReduceRangeActivations = true };
            // Comma-separated or repeated: each value split at its commas.
            List<string> Listed(Option<string[]> opt) => p.GetValue(opt)!.SelectMany(s =>
                s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (Given(ops)) o = o with { OpTypes = Listed(ops) };
            if (Given(include)) o = o with { Include = p.GetValue(include)!.ToList() };
            if (Given(exclude)) o = o with { Exclude = o.Exclude.Concat(p.GetValue(exclude)!).ToList() };
            if (Given(floatTensors)) o = o with { FloatTensors = o.FloatTensors.Concat(Listed(floatTensors)).ToList() };
            if (Given(method)) o = o with { Calibration = FlagValues.CalibrationMethod(p.GetValue(method)!) };
            if (p.GetValue(percentile) is double pc) o = o with { Percentile = pc };
            if (p.GetValue(bins) is int b) o = o with { HistogramBins = b };
            if (p.GetValue(qbins) is int qb) o = o with { QuantizedBins = qb };
            if (Given(block)) o = o with { Fp16BlockOps = p.GetValue(block)!.ToList() };
            if (Given(smooth)) o = FlagValues.Smoothing(o, p.GetValue(smooth)!);
            if (Given(fp16Io)) o = o with
            {
                Fp16KeepIoTypes = p.GetValue(fp16Io)!.Trim().ToLowerInvariant() switch
                {
                    "float32" or "fp32" => true,
                    "float16" or "fp16" => false,
                    var x => throw new FpQuantException($"--fp16-io '{x}': use float32 or float16"),
                },
            };

            var settings = CommonOptions.Settings(p, provider, threads);
            var source = p.GetValue(calibDir) is string calibFolder ? new FolderInputSource(calibFolder)
                : DataCommandOptions.Source("--calibration", p.GetValue(calib)!, data.Parse(p, p.GetValue(calibBatch)));
            var result = ModelQuantizer.Quantize(input, sourceName, o,
                presetName ?? (presetPath != null ? Path.GetFileNameWithoutExtension(presetPath) : null),
                o.NeedsCalibration ? source : null, settings, new Progress<string>(_ => { }));
            foreach (var w in result.Warnings) Console.Error.WriteLine($"note: {CliFlags.Words(w, p)}");
            ModelQuantizer.Save(result, outPath, sourceName);
            long before = input.CalculateSize(), after = new FileInfo(outPath).Length;
            Console.WriteLine($"wrote {outPath} ({after / 1e6:F1} MB, {100.0 * after / before:F0} % of float) and " +
                $"{ModelQuantizer.SidecarPath(outPath)}");
            Console.WriteLine(result.NodeModes != null
                ? $"mixed quantization: {string.Join(", ", result.NodeModes.Values.GroupBy(m => m).OrderBy(g => g.Key).Select(g => $"{g.Count()} {FpQuant.Quantization.Mixed.ModeRule.Name(g.Key)}"))} nodes in {result.Elapsed.TotalSeconds:F1} s"
                : $"{result.Options.Mode.ToString().ToLowerInvariant()} {(result.Options.Mode == QuantMode.Static ? result.Options.Format.ToString().ToLowerInvariant() + " " : "")}quantization of {result.QuantizedNodes.Count} nodes in {result.Elapsed.TotalSeconds:F1} s");
            if (result.FloatTensors.Count > 0)
                Console.WriteLine($"{result.FloatTensors.Count} activation tensor(s) kept float: " +
                    string.Join(", ", result.FloatTensors.Take(8)) + (result.FloatTensors.Count > 8 ? ", ..." : ""));
            return 0;
        }));
        return cmd;
    }


    private static bool ParseBool(string s, string option) => s.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "1" or "on" => true,
        "false" or "no" or "0" or "off" => false,
        _ => throw new FpQuantException($"{option} '{s}': use true or false"),
    };
}
