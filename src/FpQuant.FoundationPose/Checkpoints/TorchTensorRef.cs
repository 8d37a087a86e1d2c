namespace FpQuant.Checkpoints;

/// <summary>A tensor the pickle describes but whose data has not been read: a view into a storage.</summary>
internal sealed record TorchTensorRef(TorchStorageRef Storage, long Offset, long[] Size, long[] Stride)
{
    public long Numel => Size.Aggregate(1L, (a, d) => a * d);
    public TorchDType DType => Storage.DType;

    /// <summary>Row-major with no gaps (size-1 dimensions may carry any stride).</summary>
    public bool IsContiguous
    {
        get
        {
            long expect = 1;
            for (int d = Size.Length - 1; d >= 0; d--)
            {
                if (Size[d] != 1 && Stride[d] != expect) return false;
                expect *= Size[d];
            }
            return true;
        }
    }
}
