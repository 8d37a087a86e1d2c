using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using FpQuant.Checkpoints;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Tests.Fuzz;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Hostile;

/// <summary>Each known crash signature for checkpoints, as a file that must be refused (or loaded) cleanly:
/// one FpQuantException naming the file, one short line, bounded allocation.</summary>
[Trait("Category", "Quick")]
public sealed class HostileCheckpointTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string p = _tmp.File(name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    /// <summary>The state_dict read must refuse the file; inspect (which walks every object but reads no storage)
    /// may report it or refuse it the same way. Neither may throw anything else or allocate without bound.</summary>
    private static FpQuantException Refused(string path, long maxAllocated = 64L << 20)
    {
        foreach (var inspect in new[] { true, false })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            FpQuantException? e = null;
            if (inspect)
            {
                try { CheckpointInspector.Inspect(path); }
                catch (FpQuantException x) { e = x; }
            }
            else e = Assert.Throws<FpQuantException>(() => TorchCheckpoint.LoadStateDict(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < maxAllocated, $"{allocated / 1e6:F0} MB allocated");
            if (e == null) continue;
            Assert.Contains(Path.GetFileName(path), e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.True(e.Message.Length <= ErrorText.MaxLength + 40, $"{e.Message.Length} characters");
        }
        return Assert.Throws<FpQuantException>(() => TorchCheckpoint.LoadStateDict(path));
    }

    private static readonly (string, long[])[] Shapes = { ("w", new long[] { 2, 3 }), ("b", new long[] { 2 }) };

    private static byte[] Zip(byte[] pickle) =>
        PickleBuilder.TorchZip(pickle, new[] { ("0", PickleBuilder.Floats(6)), ("1", PickleBuilder.Floats(2)) });

    private static byte[] PickleWithTensor(long storageNumel, long offset, long[] size, long[] stride) =>
        new PickleBuilder().Proto().OrderedDict().Mark().Str("w")
            .Tensor("0", "FloatStorage", storageNumel, offset, size, stride).SetItems().Stop().ToArray();

    [Fact]
    public void ZipWithWrongEntryCountOrHeaderOffset_IsRefusedNamingTheFile()
    {
        var good = Zip(PickleBuilder.StateDict(Shapes));
        int eocd = good.AsSpan().LastIndexOf("PK\u0005\u0006"u8);
        var count = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(count.AsSpan(eocd + 10), 60000);
        BinaryPrimitives.WriteUInt16LittleEndian(count.AsSpan(eocd + 8), 60000);
        Refused(Write("count.pth", count));
        // The local header offset of data.pkl's central-directory entry points past the file.
        int cd = good.AsSpan().IndexOf("PK\u0001\u0002"u8);
        var offset = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(offset.AsSpan(cd + 42), 0x7FFFFFF0);
        Refused(Write("offset.pth", offset));
        // A storage entry's offset pointing at another entry's data (read happens after open).
        int firstCd = good.AsSpan().IndexOf("PK\u0001\u0002"u8);
        var storage = (byte[])good.Clone();
        for (int at = firstCd; at >= 0
            && at < storage.Length; at = storage.AsSpan(at + 4).IndexOf("PK\u0001\u0002"u8) is int n
            && n >= 0 ? at + 4 + n : -1)
            BinaryPrimitives.WriteUInt32LittleEndian(storage.AsSpan(at + 42), 1);
        Refused(Write("storage-offset.pth", storage));
    }

    [Theory]
    [InlineData((byte)'X', 4, 0xFFFFFFFFUL)]   // BINUNICODE
    [InlineData((byte)'X', 4, 0xFFFFFFF0UL)]
    [InlineData((byte)0x8d, 8, 0xFFFFFFFFUL)]  // BINUNICODE8
    [InlineData((byte)0x8d, 8, 0xFFFFFFFFFFFFFFFFUL)]
    [InlineData((byte)0x8b, 4, 0xFFFFFFFFUL)]  // LONG4
    [InlineData((byte)'B', 4, 0x80000000UL)]   // BINBYTES
    [InlineData((byte)'T', 4, 0xFFFFFFFFUL)]   // BINSTRING (signed: -1)
    [InlineData((byte)'X', 4, 0x40000000UL)]   // 2^30: 1 GiB if allocated before the check
    public void LengthsNear2Pow32_AreRefusedBeforeAllocating(byte opcode, int width, ulong length)
    {
        var p = new PickleBuilder().Proto().Op(opcode);
        if (width == 4) p.U32((uint)length); else p.U64(length);
        var e = Refused(Write("len.pth", Zip(p.Raw("abc"u8).Stop().ToArray())), maxAllocated: 1 << 20);
        Assert.Contains("claims", e.Message);
    }

    [Theory]
    [InlineData(-1L, 0L, 2L, 1L)]          // negative storage numel
    [InlineData(6L, 0L, -2L, 1L)]          // negative size
    [InlineData(6L, 0L, 2L, -1L)]          // negative stride
    [InlineData(6L, -3L, 2L, 1L)]          // negative offset
    [InlineData(6L, 0L, 2147483648L, 1L)]  // size beyond an array
    [InlineData(6L, 0L, 3L, 4611686018427387904L)] // reach overflows int64
    [InlineData(1099511627777L, 0L, 2L, 1L)] // storage beyond any plausible size
    [InlineData(6L, 5L, 2L, 1L)]           // view past the end of its storage
    public void NegativeOrHugeNumelStridesAndOffsets_AreRefused(long numel, long offset, long size, long stride)
    {
        var e = Refused(Write("view.pth", Zip(PickleWithTensor(numel, offset, new[] { size }, new[] { stride }))),
            maxAllocated: 1 << 20);
        Assert.Contains("view.pth", e.Message);
    }

    [Fact]
    public void StorageLargerThanItsZipEntry_IsRefusedBeforeAllocating()
    {
        // 2^30 float32 elements claimed; the entry holds 24 bytes.
        var e = Refused(Write("big.pth", Zip(PickleWithTensor(1L << 30, 0, new[] { 1L << 30 }, new[] { 1L }))),
            maxAllocated: 1 << 20);
        Assert.Contains("storage", e.Message);
    }

    [Fact]
    public void NegativeLegacyStorageSize_IsRefused()
    {
        var storages =
            new List<(string, byte[], int)> { ("0", PickleBuilder.Floats(6), 4), ("1", PickleBuilder.Floats(2), 4) };
        var bytes = PickleBuilder.Legacy(PickleBuilder.StateDict(Shapes), storages);
        Assert.Equal(new float[] { 0.5f, 1.5f }, TorchCheckpoint.LoadStateDict(Write("ok.pth", bytes))["b"].Data);
        // The element count before the last storage (8 bytes of count, 8 bytes of data from the end).
        foreach (long bad in new[] { -1L, long.MinValue, long.MaxValue, 1L << 40 })
        {
            var b = (byte[])bytes.Clone();
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(b.Length - 16), bad);
            Refused(Write("legacy-size.pth", b));
        }
    }

    [Fact]
    public void LegacyKeyListOfInts_IsRefused()
    {
        var keys = new PickleBuilder().Proto().EmptyList().Mark().Int(0).Int(1).Op((byte)'e').Stop().ToArray();
        var good = PickleBuilder.Legacy(PickleBuilder.StateDict(Shapes),
            new List<(string, byte[], int)> { ("0", PickleBuilder.Floats(6), 4), ("1", PickleBuilder.Floats(2), 4) });
        var goodKeys = new PickleBuilder().Proto().EmptyList().Mark().Str("0").Str("1").Op((byte)'e').Stop().ToArray();
        int at = good.AsSpan().IndexOf(goodKeys);
        var bad = good[..at].Concat(keys).Concat(good[(at + goodKeys.Length)..]).ToArray();
        Assert.Contains("storage list", Refused(Write("int-keys.pth", bad)).Message);
    }

    public static TheoryData<string> SelfContaining => new() { "list", "dict", "tuple-in-list" };

    [Theory]
    [MemberData(nameof(SelfContaining))]
    public void SelfContainingPickles_AreRefused_NotAStackOverflow(string kind)
    {
        var p = new PickleBuilder().Proto();
        p = kind switch
        {
            "list" => p.EmptyList().Put(0).Get(0).Append(),
            "dict" => p.EmptyDict().Put(0).Str("model").Get(0).SetItem(),
            _ => p.EmptyList().Put(0).Get(0).Tuple1().Append(),
        };
        Assert.Contains("contains itself", Refused(Write($"self-{kind}.pth", Zip(p.Stop().ToArray()))).Message);
    }

    [Fact]
    public void AMillionNestedTuplesOrLists_AreRefused_NotAStackOverflow()
    {
        var tuples = new PickleBuilder().Proto().EmptyTuple();
        for (int i = 0; i < 1_000_000; i++) tuples.Tuple1();
        Assert.Contains("nests",
            Refused(Write("tuples.pth", Zip(tuples.Stop().ToArray())), maxAllocated: 512L << 20).Message);
        var lists = new PickleBuilder().Proto();
        for (int i = 0; i < 1_000_000; i++) lists.EmptyList();
        for (int i = 0; i < 999_999; i++) lists.Append();
        Assert.Contains("nests",
            Refused(Write("lists.pth", Zip(lists.Stop().ToArray())), maxAllocated: 512L << 20).Message);
        // Nesting within the limit still loads (it is metadata beside the state_dict).
        var ok = new PickleBuilder().Proto().EmptyDict().Mark().Str("model").OrderedDict().Mark()
            .Str("w").Tensor("0", "FloatStorage", 6, 0, new long[] { 2, 3 }, new long[] { 3, 1 }).SetItems()
            .Str("meta");
        for (int i = 0; i < 50; i++) ok.EmptyList();
        for (int i = 0; i < 49; i++) ok.Append();
        Assert.Equal(6,
            TorchCheckpoint.LoadStateDict(Write("nested-ok.pth", Zip(ok.SetItems().Stop().ToArray())))["w"]
                .Data.Length);
    }

    [Fact]
    public void SharedContainers_AreWalkedOnce()
    {
        // 2^60 paths through 60 tuples, each holding the one below twice; the tensor sits at the bottom.
        var p = new PickleBuilder().Proto().EmptyDict().Mark().Str("model").OrderedDict().Mark()
            .Str("w").Tensor("0", "FloatStorage", 6, 0, new long[] { 2, 3 }, new long[] { 3, 1 }).SetItems()
            .Str("common").Str("leaf");
        for (int i = 0; i < 60; i++) p.Put(0).Get(0).Op(0x86);
        var path = Write("dag.pth", Zip(p.SetItems().Stop().ToArray()));
        var sw = Stopwatch.StartNew();
        var info = CheckpointInspector.Inspect(path);
        Assert.Equal(1, info.Tensors);
        Assert.True(sw.Elapsed.TotalSeconds < 30, $"{sw.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void ADictOf200kKeys_BuildsInLinearTime_AndItsErrorIsOneShortLine()
    {
        var p = new PickleBuilder().Proto().EmptyDict().Mark();
        for (int i = 0; i < 200_000; i++) p.Str("key number " + i).Int(i);
        var path = Write("keys.pth", Zip(p.SetItems().Stop().ToArray()));
        var sw = Stopwatch.StartNew();
        var e = Refused(path, maxAllocated: 512L << 20);
        // Quadratic insertion took 50 s here; linear takes a fraction of a second (the bound leaves room for a loaded
        // machine).
        Assert.True(sw.Elapsed.TotalSeconds < 30, $"{sw.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("200000 entries", e.Message);
        Assert.Contains("key number 0", e.Message);
    }

    [Fact]
    public void Long1Integers_Load()
    {
        // Sizes, strides and the offset written as LONG1 (as Python pickles ints of 2^31 and beyond), plus a LONG1
        // epoch.
        var p = new PickleBuilder().Proto().EmptyDict().Mark().Str("model").OrderedDict().Mark()
            .Str("w").Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Long1(6).Tuple().BinPersId()
            .Long1(0).Mark().Long1(2).Long1(3).Tuple().Mark().Long1(3).Long1(1).Tuple().False().OrderedDict().Tuple()
            .Reduce()
            .SetItems().Str("epoch").Long1(new BigInteger(1) << 40).Str("small").Long1(-5).SetItems().Stop().ToArray();
        var path = Write("long1.pth", Zip(p));
        var sd = TorchCheckpoint.LoadStateDict(path);
        Assert.Equal(new[] { 2, 3 }, sd["w"].Shape);
        Assert.Equal(PickleBuilder.Floats(6),
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(sd["w"].Data.AsSpan()).ToArray());
        var info = CheckpointInspector.Inspect(path);
        Assert.Contains($"epoch = {1L << 40}", info.OtherEntries);
        Assert.Contains("small = -5", info.OtherEntries);
    }

    [Fact]
    public void ZipBomb_DataPklInflatingBeyondItsDeclaredSize_IsRefused()
    {
        // 8 MiB of zeros deflated to a few KiB, then declared as 64 bytes in both headers: the copy stops at the
        // declared size instead of trusting the stream.
        var ms = new MemoryStream();
        using (var zip =
            new System.IO.Compression.ZipArchive(ms, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            var e = zip.CreateEntry("archive/data.pkl", System.IO.Compression.CompressionLevel.Optimal);
            using var s = e.Open();
            s.Write(new byte[8 << 20]);
        }
        var b = ms.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(22), 64);
        int cd = b.AsSpan().IndexOf("PK\u0001\u0002"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(cd + 24), 64);
        Refused(Write("bomb.pth", b), maxAllocated: 4L << 20);
        // And one declaring 1 GiB from a few KiB: refused on the declared size.
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(22), 1u << 30);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(cd + 24), 1u << 30);
        Refused(Write("bomb2.pth", b), maxAllocated: 4L << 20);
    }
}
