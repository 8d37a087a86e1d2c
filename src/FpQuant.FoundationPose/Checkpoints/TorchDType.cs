namespace FpQuant.Checkpoints;

internal enum TorchDType { Float32, Float16, BFloat16, Float64, Int64, Int32, Int16, Int8, UInt8, Bool }
