using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;

namespace FpQuant.Tests.Fuzz;

/// <summary>Writes pickle opcodes by hand, for checkpoints no torch.save would write (hostile, nested, self-containing)
/// and for the legacy torch.save layout. Opcode values are those of the pickle protocol.</summary>
public sealed class PickleBuilder
{
    private readonly MemoryStream _s = new();

    public byte[] ToArray() => _s.ToArray();
    public long Length => _s.Length;

    public PickleBuilder Op(byte op) { _s.WriteByte(op); return this; }
    public PickleBuilder Raw(ReadOnlySpan<byte> b) { _s.Write(b); return this; }
    public PickleBuilder Proto(byte v = 2) => Op(0x80).Op(v);
    public PickleBuilder Stop() => Op((byte)'.');
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder EmptyList() => Op((byte)']');
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder Tuple1() => Op(0x85);
    public PickleBuilder Append() => Op((byte)'a');
    public PickleBuilder SetItem() => Op((byte)'s');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder BinPersId() => Op((byte)'Q');
    public PickleBuilder Put(byte k) => Op((byte)'q').Op(k);
    public PickleBuilder Get(byte k) => Op((byte)'h').Op(k);
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder True() => Op(0x88);
    public PickleBuilder None() => Op((byte)'N');

    public PickleBuilder Int(long v)
    {
        if (v >= 0 && v < 256) return Op((byte)'K').Op((byte)v);
        if (v >= int.MinValue && v <= int.MaxValue)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            return Op((byte)'J').Raw(b);
        }
        return Long1(v);
    }

    /// <summary>LONG1: a length byte, then the integer in little-endian two's complement (minimal bytes).</summary>
    public PickleBuilder Long1(BigInteger v)
    {
        var b = v.ToByteArray(isUnsigned: false, isBigEndian: false);
        return Op(0x8a).Op((byte)b.Length).Raw(b);
    }

    public PickleBuilder Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return Op((byte)'X').U32((uint)b.Length).Raw(b);
    }

    public PickleBuilder U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return Raw(b);
    }

    public PickleBuilder U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Raw(b);
    }

    public PickleBuilder Global(string module, string name) =>
        Op((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBuilder OrderedDict() => Global("collections", "OrderedDict").EmptyTuple().Reduce();

    /// <summary>_rebuild_tensor_v2(persistent storage, offset, sizes, strides, False, OrderedDict()).</summary>
    public PickleBuilder Tensor(string storageKey, string storageType, long storageNumel, long offset, long[] sizes,
        long[] strides)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", storageType).Str(storageKey).Str("cpu").Int(storageNumel).Tuple()
            .BinPersId();
        Int(offset);
        Mark(); foreach (var s in sizes) Int(s); Tuple();
        Mark(); foreach (var s in strides) Int(s); Tuple();
        False().OrderedDict().Tuple().Reduce();
        return this;
    }

    /// <summary>A float32 state_dict pickle: every tensor owns storage "i" (contiguous).</summary>
    public static byte[] StateDict(IReadOnlyList<(string Key, long[] Shape)> tensors,
        Action<PickleBuilder>? extraEntries = null)
    {
        var p = new PickleBuilder().Proto().OrderedDict().Mark();
        for (int i = 0; i < tensors.Count; i++)
        {
            var shape = tensors[i].Shape;
            var strides = new long[shape.Length];
            for (long d = shape.Length - 1, s = 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
            p.Str(tensors[i].Key)
                .Tensor(i.ToString(), "FloatStorage", shape.Aggregate(1L, (a, b) => a * b), 0, shape, strides);
        }
        extraEntries?.Invoke(p);
        return p.SetItems().Stop().ToArray();
    }

    /// <summary>
    /// The zip layout of torch.save: archive/data.pkl, archive/data/KEY, archive/version (stored, CRCs right).
    /// </summary>
    public static byte[] TorchZip(byte[] pickle, IEnumerable<(string Key, byte[] Data)> storages,
        string archive = "archive")
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Entry(string name, byte[] data)
            {
                var e = zip.CreateEntry($"{archive}/{name}", CompressionLevel.NoCompression);
                e.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = e.Open();
                s.Write(data);
            }
            Entry("data.pkl", pickle);
            foreach (var (k, d) in storages) Entry($"data/{k}", d);
            Entry("version", "3\n"u8.ToArray());
        }
        return ms.ToArray();
    }

    /// <summary>torch.save's legacy stream: magic, protocol 1001, sys info, the root pickle, the storage keys, then
    /// each storage as an int64 element count and its raw little-endian elements.</summary>
    public static byte[] Legacy(byte[] rootPickle, IReadOnlyList<(string Key, byte[] Data, int ElementSize)> storages)
    {
        var magic = new PickleBuilder().Proto().Long1(BigInteger.Parse("119547037146038801333356")).Stop();
        var protocol = new PickleBuilder().Proto().Int(1001).Stop();
        var sys =
            new PickleBuilder().Proto().EmptyDict().Mark().Str("protocol_version").Int(1001).Str("little_endian").True()
            .Str("type_sizes").EmptyDict().Mark().Str("short").Int(2).Str("int").Int(4).Str("long").Int(4).SetItems()
            .SetItems().Stop();
        var keys = new PickleBuilder().Proto().EmptyList().Mark();
        foreach (var s in storages) keys.Str(s.Key);
        keys.Op((byte)'e').Stop();
        var ms = new MemoryStream();
        foreach (var p in new[] { magic, protocol, sys }) ms.Write(p.ToArray());
        ms.Write(rootPickle);
        ms.Write(keys.ToArray());
        Span<byte> n = stackalloc byte[8];
        foreach (var s in storages)
        {
            BinaryPrimitives.WriteInt64LittleEndian(n, s.Data.Length / s.ElementSize);
            ms.Write(n);
            ms.Write(s.Data);
        }
        return ms.ToArray();
    }

    /// <summary>Bytes of n float32 values 0.5, 1.5, ...</summary>
    public static byte[] Floats(long n)
    {
        var f = new float[n];
        for (int i = 0; i < n; i++) f[i] = i + 0.5f;
        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()).ToArray();
    }
}
