using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Quantization;

// Static int8 for any ONNX model, calibrated on a folder with one INPUT.npy per model input (samples on axis 0).
string model = args.Length > 0 ? args[0] : "model.onnx";
string output = args.Length > 1 ? args[1] : "model.int8.onnx";
string samples = args.Length > 2 ? args[2] : "calib";
try
{
    var result = OnnxQuantizer.Quantize(model, output, QuantizationPresets.OnnxStatic, ModelInputs.FromNpy(samples));
    Console.WriteLine($"wrote {result.ModelPath} and {result.SidecarPath}: {result.QuantizedNodes.Count} nodes int8");
    return 0;
}
catch (FpQuantException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
