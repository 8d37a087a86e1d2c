using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using FpQuant.Core;

namespace FpQuant.Checkpoints;

/// <summary>
/// Writes torch.save-compatible zip checkpoints (protocol-2 pickle, one stored entry per storage), so that
/// tests and benchmarks can make FoundationPose-shaped files, optimizer state included, without Python.
/// </summary>
internal static class TorchCheckpointWriter
{
    /// <summary>
    /// A value to pickle: a tensor (float32 data), dict, list, tuple, string, long, double, bool or null.
    /// </summary>
    public sealed record Tensor(FloatTensor Value);

    public static void Write(string path, IReadOnlyList<KeyValuePair<string, object?>> root,
        bool rootIsOrderedDict = false)
    {
        string archive = System.IO.Path.GetFileNameWithoutExtension(path);
        var storages = new List<float[]>();
        var pkl = new MemoryStream();
        var p = new PickleEmitter(pkl, storages);
        p.Proto();
        p.Dict(root, rootIsOrderedDict);
        p.Stop();
        AtomicFile.Write(path, fs =>
        {
            using var zip = new ZipArchive(fs, ZipArchiveMode.Create, leaveOpen: true);
            void Entry(string name, ReadOnlySpan<byte> bytes)
            {
                var e = zip.CreateEntry($"{archive}/{name}", CompressionLevel.NoCompression);
                e.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = e.Open();
                s.Write(bytes);
            }
            Entry("data.pkl", pkl.ToArray());
            Entry("byteorder", "little"u8);
            for (int i = 0; i < storages.Count; i++)
                Entry($"data/{i}", MemoryMarshal.AsBytes(storages[i].AsSpan()));
            Entry("version", "3\n"u8);
        });
    }

    /// <summary>
    /// A FoundationPose-style training checkpoint: {'model': state_dict, 'optimizer': Adam state, 'epoch': n}.
    /// </summary>
    public static void WriteTrainingCheckpoint(string path, StateDict sd, bool withAdamState, int epoch = 1)
    {
        var model = sd.Keys.Select(k => new KeyValuePair<string, object?>(k, new Tensor(sd[k]))).ToList();
        var root = new List<KeyValuePair<string, object?>> { new("model", model) };
        if (withAdamState)
        {
            var state = new List<KeyValuePair<string, object?>>();
            var ids = new List<object?>();
            int id = 0;
            foreach (var k in sd.Keys)
            {
                var t = sd[k];
                if (k.Contains("running_") || k.EndsWith("num_batches_tracked", StringComparison.Ordinal)
                    || k == "pos_embed.pe") continue;
                state.Add(new(id.ToString(CultureInfo.InvariantCulture), new List<KeyValuePair<string, object?>>
                {
                    new("step", new Tensor(new FloatTensor(Array.Empty<int>(), new[] { (float)epoch }))),
                    new("exp_avg",
                        new Tensor(new FloatTensor((int[])t.Shape.Clone(), t.Data.Select(v => v * 1e-3f).ToArray()))),
                    new("exp_avg_sq",
                        new Tensor(new FloatTensor((int[])t.Shape.Clone(),
                            t.Data.Select(v => v * v * 1e-6f).ToArray()))),
                }));
                ids.Add((long)id++);
            }
            root.Add(new("optimizer", new List<KeyValuePair<string, object?>>
            {
                new("state", state),
                new("param_groups",
                    new List<object?> { new List<KeyValuePair<string, object?>> { new("lr", 1e-4),
                        new("params", ids) } }),
            }));
        }
        root.Add(new("epoch", (long)epoch));
        Write(path, root);
    }

    private sealed class PickleEmitter
    {
        private readonly Stream _s;
        private readonly List<float[]> _storages;
        public PickleEmitter(Stream s, List<float[]> storages) { _s = s; _storages = storages; }

        public void Proto() { _s.WriteByte(0x80); _s.WriteByte(2); }
        public void Stop() => _s.WriteByte((byte)'.');

        public void Value(object? v)
        {
            switch (v)
            {
                case null: _s.WriteByte((byte)'N'); break;
                case bool b: _s.WriteByte(b ? (byte)0x88 : (byte)0x89); break;
                case long l: Int(l); break;
                case int i: Int(i); break;
                case double d: { _s.WriteByte((byte)'G'); Span<byte> b =
                    stackalloc byte[8]; BinaryPrimitives.WriteDoubleBigEndian(b, d); _s.Write(b); break; }
                case string str: Str(str); break;
                case Tensor t: TensorValue(t.Value); break;
                case IReadOnlyList<KeyValuePair<string, object?>> dict: Dict(dict, false); break;
                case List<object?> list:
                    _s.WriteByte((byte)']');
                    if (list.Count > 0) { _s.WriteByte((byte)'('); foreach (var x in list)
                        Value(x); _s.WriteByte((byte)'e'); }
                    break;
                case object?[] tuple: Tuple(tuple); break;
                case PickleGlobal g: Global(g.Module, g.Name); break;
                case OrderedMarker m: Dict(m.Items, true); break;
                default: throw new ArgumentException($"cannot pickle {v.GetType()}");
            }
        }

        public void Dict(IReadOnlyList<KeyValuePair<string, object?>> items, bool ordered)
        {
            if (ordered) { Global("collections", "OrderedDict"); _s.WriteByte((byte)')'); _s.WriteByte((byte)'R'); }
            else _s.WriteByte((byte)'}');
            if (items.Count == 0) return;
            _s.WriteByte((byte)'(');
            foreach (var kv in items)
            {
                if (int.TryParse(kv.Key, out int ik) && ik.ToString(CultureInfo.InvariantCulture) == kv.Key && !ordered)
                    Int(ik); else Str(kv.Key);
                Value(kv.Value is IReadOnlyList<KeyValuePair<string, object?>> inner
                    && IsTensorDict(inner) ? new OrderedMarker(inner) : kv.Value);
            }
            _s.WriteByte((byte)'u');
        }

        private static bool IsTensorDict(IReadOnlyList<KeyValuePair<string, object?>> d) => d.Count > 0
            && d.All(x => x.Value is Tensor);

        private sealed record OrderedMarker(IReadOnlyList<KeyValuePair<string, object?>> Items);

        private void Tuple(object?[] items)
        {
            _s.WriteByte((byte)'(');
            foreach (var x in items) Value(x);
            _s.WriteByte((byte)'t');
        }

        private void TensorValue(FloatTensor t)
        {
            int key = _storages.Count;
            _storages.Add(t.Data);
            Global("torch._utils", "_rebuild_tensor_v2");
            _s.WriteByte((byte)'(');
            Tuple(new object?[] { "storage", new PickleGlobal("torch", "FloatStorage"),
                key.ToString(CultureInfo.InvariantCulture), "cpu", (long)t.Data.Length });
            _s.WriteByte((byte)'Q');
            Int(0);
            Tuple(t.Shape.Select(d => (object?)(long)d).ToArray());
            var strides = new long[t.Rank];
            for (long d = t.Rank - 1, s = 1; d >= 0; d--) { strides[d] = s; s *= t.Shape[d]; }
            Tuple(strides.Select(x => (object?)x).ToArray());
            _s.WriteByte(0x89);
            Global("collections", "OrderedDict"); _s.WriteByte((byte)')'); _s.WriteByte((byte)'R');
            _s.WriteByte((byte)'t');
            _s.WriteByte((byte)'R');
        }

        private void Global(string module, string name)
        {
            _s.WriteByte((byte)'c');
            _s.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
        }

        private void Int(long v)
        {
            if (v >= 0 && v < 256) { _s.WriteByte((byte)'K'); _s.WriteByte((byte)v); }
            else if (v >= int.MinValue
                && v <= int.MaxValue) { _s.WriteByte((byte)'J'); Span<byte> b =
                    stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); _s.Write(b); }
            else { _s.WriteByte(0x8a); _s.WriteByte(8); Span<byte> b =
                stackalloc byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); _s.Write(b); }
        }

        private void Str(string str)
        {
            var b = Encoding.UTF8.GetBytes(str);
            _s.WriteByte((byte)'X');
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(n, b.Length);
            _s.Write(n);
            _s.Write(b);
        }
    }
}
