using FpQuant.Core;
using Google.Protobuf;
using Onnx;

namespace FpQuant.Onnx;

/// <summary>Reads and writes ONNX ModelProto files. Writes are atomic and byte-deterministic.</summary>
internal static class OnnxModelFile
{
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path))
            throw new FpQuantException($"model file '{path}' does not exist; pass an existing .onnx file (make one " +
                $"with 'fpquant export')");
        try
        {
            using var fs = File.OpenRead(path);
            var cis = new CodedInputStream(fs);
            var model = ModelProto.Parser.ParseFrom(cis);
            if (model.Graph == null || model.Graph.Node.Count == 0)
                throw new FpQuantException($"'{path}' is not an ONNX model (no graph nodes); pass a .onnx file");
            ModelValidator.Validate(model, path);
            return model;
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException or UnauthorizedAccessException
            or ArgumentException or OverflowException)
        {
            throw new FpQuantException($"'{path}' is not a readable ONNX model ({e.Message}); is the file complete?",
                e);
        }
    }

    public static byte[] Serialize(ModelProto model) => model.ToByteArray();

    public static void Save(ModelProto model, string path)
    {
        byte[] bytes = model.ToByteArray();
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    public static long OpsetOf(ModelProto model)
    {
        foreach (var o in model.OpsetImport)
            if (string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx") return o.Version;
        return 0;
    }
}
