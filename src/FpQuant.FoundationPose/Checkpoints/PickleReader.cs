using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Text;
using FpQuant.Core;

namespace FpQuant.Checkpoints;

/// <summary>
/// A restricted unpickler for torch.save files: it understands the opcodes of protocols 2-5 that state_dicts use
/// and builds plain data. It never imports or calls anything: GLOBAL is checked against an allow-list, REDUCE is
/// interpreted only for the few callables a state_dict needs, and anything else is refused by name.
/// A checkpoint is untrusted input.
/// </summary>
internal sealed class PickleReader
{
    /// <summary>Callables a state_dict pickle may name; everything else is refused.</summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
        "torch.BoolStorage",
    };

    /// <summary>Containers nested deeper than this are refused (a state_dict nests about five deep).</summary>
    public const int MaxDepth = 100;

    private readonly Stream _s;
    private readonly string _source;
    private readonly Func<object?, object?> _persistentLoad;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();

    public PickleReader(Stream s, string source, Func<object?, object?> persistentLoad)
    {
        _s = s;
        _source = source;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Reads one pickle (up to its STOP) from the stream.</summary>
    public object? Load()
    {
        _stack.Clear(); _marks.Clear(); _memo.Clear();
        while (true)
        {
            int op = _s.ReadByte();
            if (op < 0) throw Bad("the pickle ends before its STOP opcode (the file is truncated)");
            switch (op)
            {
                case 0x80: ReadByte(); break;                                   // PROTO
                case 0x95: ReadBytes(8); break;                                 // FRAME: frames are just a length hint
                case 0x2e: { var root = Pop(); CheckStructure(root); return root; } // STOP
                case 0x28: _marks.Push(_stack.Count); break;                    // MARK
                case 0x4e: Push(null); break;                                   // NONE
                case 0x88: Push(true); break;                                   // NEWTRUE
                case 0x89: Push(false); break;                                  // NEWFALSE
                case 0x4a: Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case 0x4b: Push((long)ReadByte()); break;                       // BININT1
                case 0x4d: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: Push(ReadLong(ReadByte())); break;                   // LONG1
                case 0x8b: Push(ReadLong(ReadUInt32())); break;                 // LONG4
                case 0x47: Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case 0x58: Push(Encoding.UTF8.GetString(ReadBytes(ReadUInt32()))); break; // BINUNICODE
                case 0x8c: Push(Encoding.UTF8.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINUNICODE
                case 0x8d: Push(Encoding.UTF8.GetString(ReadBytes(ReadLength64()))); break; // BINUNICODE8
                // BINSTRING (signed length)
                case 0x54: Push(Encoding.Latin1.GetString(ReadBytes(ReadInt32Length()))); break;
                case 0x55: Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case 0x42: Push(ReadBytes(ReadUInt32())); break;                // BINBYTES
                case 0x43: Push(ReadBytes(ReadByte())); break;                  // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength64())); break;              // BINBYTES8
                case 0x29: Push(Array.Empty<object?>()); break;                 // EMPTY_TUPLE
                case 0x74: Push(PopMark().ToArray()); break;                    // TUPLE
                case 0x85: Push(new[] { Pop() }); break;                        // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case 0x5d: Push(new List<object?>()); break;                    // EMPTY_LIST
                case 0x6c: Push(PopMark()); break;                              // LIST
                case 0x7d: Push(new PickleDict()); break;                       // EMPTY_DICT
                // DICT
                case 0x64: { var items = PopMark(); var d = new PickleDict(); SetItems(d, items); Push(d); break; }
                case 0x61: { var v = Pop(); AsList(Peek()).Add(v); break; }    // APPEND
                case 0x65: { var items = PopMark(); AsList(Peek()).AddRange(items); break; } // APPENDS
                case 0x73: { var v = Pop(); var k = Pop(); AsDict(Peek()).Set(k, v); break; } // SETITEM
                case 0x75: { var items = PopMark(); SetItems(AsDict(Peek()), items); break; } // SETITEMS
                case 0x8f: Push(new HashSet<object?>()); break;                 // EMPTY_SET (optimizer configs)
                case 0x90: { var items = PopMark(); if (Peek() is HashSet<object?> hs) foreach (var x in items)
                    hs.Add(x); else throw Bad("ADDITEMS on a non-set"); break; } // ADDITEMS
                case 0x71: _memo[ReadByte()] = Peek(); break;                   // BINPUT
                case 0x72: _memo[ReadUInt32()] = Peek(); break;                 // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                  // MEMOIZE
                case 0x68: Push(Memo(ReadByte())); break;                       // BINGET
                case 0x6a: Push(Memo(ReadUInt32())); break;                     // LONG_BINGET
                case 0x63: Push(Global(ReadLine(), ReadLine())); break;         // GLOBAL
                case 0x93: { var name = Pop() as string; var module =
                    Pop() as string; Push(Global(module ?? "?", name ?? "?")); break; } // STACK_GLOBAL
                case 0x52: { var args = Pop(); var fn = Pop(); Push(Reduce(fn, args)); break; } // REDUCE
                case 0x81: { var args = Pop(); var cls = Pop(); Push(Reduce(cls, args)); break; } // NEWOBJ
                // BUILD: drop the state (OrderedDict's _metadata)
                case 0x62: { Pop(); break; }
                case 0x51: Push(_persistentLoad(Pop())); break;                 // BINPERSID
                default:
                    throw Bad($"pickle opcode 0x{op:x2} is not one a state_dict uses; the file is not a plain " +
                        $"torch.save checkpoint");
            }
        }
    }

    private PickleGlobal Global(string module, string name)
    {
        var g = new PickleGlobal(module, name);
        if (!AllowedGlobals.Contains(g.FullName))
            throw Bad($"the pickle asks for the global '{ErrorText.Quote(g.FullName)}', which is not allowed in a " +
                $"checkpoint (fpquant only accepts {string.Join(", ", AllowedGlobals.Take(3))} and torch storage " +
                $"types); refusing to load it");
        return g;
    }

    private object? Reduce(object? fn, object? args)
    {
        if (fn is not PickleGlobal g) throw Bad("REDUCE on something that is not an allowed global");
        var a = args as object?[] ?? throw Bad($"REDUCE of {g.FullName} without an argument tuple");
        switch (g.FullName)
        {
            case "collections.OrderedDict":
                return new PickleDict();
            case "torch._utils._rebuild_tensor_v2":
                if (a.Length < 4 || a[0] is not TorchStorageRef st)
                    throw Bad("_rebuild_tensor_v2 with unexpected arguments");
                return CheckedTensor(new TorchTensorRef(st, ToLong(a[1]), ToLongs(a[2]), ToLongs(a[3])));
            case "torch._utils._rebuild_parameter":
                return a.Length > 0 ? a[0] : throw Bad("_rebuild_parameter without data");
            default:
                throw Bad($"the global '{g.FullName}' cannot be called here");
        }
    }

    /// <summary>Refuses a tensor whose sizes, strides or offset no storage could hold, before anything uses them
    /// to size an allocation or index an array.</summary>
    private TorchTensorRef CheckedTensor(TorchTensorRef t)
    {
        if (t.Size.Length != t.Stride.Length)
            throw Bad($"a tensor has {t.Size.Length} sizes but {t.Stride.Length} strides");
        if (t.Size.Length > 32) throw Bad($"a tensor of rank {t.Size.Length} is not plausible");
        if (t.Offset < 0 || t.Offset > TorchStorageRef.MaxNumel) throw Bad($"a tensor has storage offset {t.Offset}");
        Int128 numel = 1, reach = t.Offset;
        for (int d = 0; d < t.Size.Length; d++)
        {
            if (t.Size[d] < 0 || t.Size[d] > int.MaxValue) throw Bad($"a tensor has size {t.Size[d]} in dimension {d}");
            if (t.Stride[d] < 0 || t.Stride[d] > TorchStorageRef.MaxNumel)
                throw Bad($"a tensor has stride {t.Stride[d]} in dimension {d}");
            numel *= t.Size[d];
            if (numel > Array.MaxLength)
                throw Bad(
                    $"a tensor of sizes [{string.Join(", ", t.Size.Take(8))}] has more elements than an array can " +
                    $"hold");
            if (t.Size[d] > 0) reach += (Int128)(t.Size[d] - 1) * t.Stride[d];
        }
        if (numel > 0 && reach >= TorchStorageRef.MaxNumel)
            throw Bad($"a tensor reaches element {reach} of its storage, beyond any plausible storage");
        if (numel > 0 && reach >= t.Storage.Numel)
            throw Bad($"a tensor reaches element {reach} of storage '{ErrorText.Quote(t.Storage.Key)}', which holds " +
                $"{t.Storage.Numel}");
        return t;
    }

    private static void SetItems(PickleDict d, List<object?> items)
    {
        for (int i = 0; i + 1 < items.Count; i += 2) d.Set(items[i], items[i + 1]);
    }

    private long ToLong(object? o) => o is long l ? l
        : throw Bad($"expected an integer, found {o?.GetType().Name ?? "None"}");
    private long[] ToLongs(object? o) => o is object?[] t ? t.Select(ToLong).ToArray()
        : throw Bad("expected a tuple of integers");

    private List<object?> AsList(object? o) => o as List<object?> ?? throw Bad("APPEND on a non-list");
    private PickleDict AsDict(object? o) => o as PickleDict ?? throw Bad("SETITEM on a non-dict");

    private object? Memo(long k) => _memo.TryGetValue(k, out var v) ? v
        : throw Bad($"memo key {k} used before it was set");
    private void Push(object? o) => _stack.Add(o);
    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Bad("stack underflow");

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _stack.Count <= _marks.Peek())) throw Bad("stack underflow");
        var o = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Bad("no MARK on the stack");
        int m = _marks.Pop();
        var items = _stack.GetRange(m, _stack.Count - m);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    [SuppressMessage("Performance", "CA1859", Justification = "a long when it fits, else a BigInteger")]
    private object ReadLong(long n)
    {
        var bytes = ReadBytes(n);
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        // Boxed on each branch: a conditional of long and BigInteger would make every value a BigInteger.
        if (big >= long.MinValue && big <= long.MaxValue) return (long)big;
        return big;
    }

    /// <summary>Every container reachable from the root, visited once with an explicit stack (no recursion input
    /// can deepen): refuses nesting beyond <see cref="MaxDepth"/> and containers that contain themselves, which
    /// nothing downstream could walk.</summary>
    private void CheckStructure(object? root)
    {
        if (!IsContainer(root)) return;
        var state = new Dictionary<object, bool>(ReferenceEqualityComparer.Instance); // false: on the path, true: done
        var path = new Stack<(object Node, IEnumerator<object?> Children)>();
        state[root!] = false;
        path.Push((root!, Children(root!).GetEnumerator()));
        while (path.Count > 0)
        {
            var (node, children) = path.Peek();
            if (!children.MoveNext())
            {
                state[node] = true;
                path.Pop();
                continue;
            }
            var c = children.Current;
            if (!IsContainer(c)) continue;
            if (state.TryGetValue(c!, out bool done))
            {
                if (!done) throw Bad("a container in the pickle contains itself; a torch.save state_dict never does");
                continue;
            }
            if (path.Count >= MaxDepth)
                throw Bad($"the pickle nests containers more than {MaxDepth} deep; a torch.save state_dict never does");
            state[c!] = false;
            path.Push((c!, Children(c!).GetEnumerator()));
        }
    }

    private static bool IsContainer(object? o) => o is List<object?> or object?[] or PickleDict or HashSet<object?>;

    private static IEnumerable<object?> Children(object o)
    {
        switch (o)
        {
            case List<object?> l: for (int i = 0; i < l.Count; i++) yield return l[i]; break;
            case object?[] a: foreach (var x in a) yield return x; break;
            case HashSet<object?> h: foreach (var x in h) yield return x; break;
            case PickleDict d:
                foreach (var kv in d.Items) { yield return kv.Key; yield return kv.Value; }
                break;
        }
    }

    private int ReadByte()
    {
        int b = _s.ReadByte();
        return b >= 0 ? b : throw Bad("the pickle ends in the middle of an opcode (the file is truncated)");
    }

    private uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));
    private long ReadInt32Length() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));

    private long ReadLength64()
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        return n > long.MaxValue ? -1 : (long)n;
    }

    /// <summary>Bytes left in the stream: no length read from the pickle may exceed them.</summary>
    private long Remaining => _s.CanSeek ? Math.Max(0, _s.Length - _s.Position) : Array.MaxLength;

    private byte[] ReadBytes(long n)
    {
        if (n < 0 || n > Array.MaxLength)
            throw Bad($"a pickle value claims a length of {n} bytes, which is not plausible");
        long left = Remaining;
        if (n > left)
            throw Bad($"a pickle value claims {n} bytes but only {left} remain (the file is truncated or damaged)");
        var buf = new byte[n];
        int got = 0;
        while (got < n)
        {
            int r = _s.Read(buf, got, (int)n - got);
            if (r <= 0) throw Bad("the pickle ends in the middle of a value (the file is truncated)");
            got += r;
        }
        return buf;
    }

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = ReadByte();
            if (b == '\n') return sb.ToString();
            sb.Append((char)b);
            if (sb.Length > 256) throw Bad("a GLOBAL name longer than 256 characters");
        }
    }

    private FpQuantException Bad(string why) => new($"checkpoint '{_source}': {why}");
}
