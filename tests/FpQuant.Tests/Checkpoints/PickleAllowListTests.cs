using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FpQuant.Checkpoints;
using FpQuant.Core;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Checkpoints;

/// <summary>
/// The restricted unpickler against pickles written here opcode by opcode (no writer from the code under test):
/// every way a pickle can name a callable (GLOBAL, STACK_GLOBAL in protocols 4 and 5, INST, OBJ, NEWOBJ, NEWOBJ_EX,
/// the extension registry), forbidden names inside the allowed modules, and whether optimizer storages are read.
/// Each refusal case has a twin that loads, so a refusal is known to come from the name, not from broken bytes.
/// </summary>
[Trait("Category", "Quick")]
public class PickleAllowListTests
{
    /// <summary>Writes pickle opcodes (names from Python's pickletools).</summary>
    private sealed class Pickle
    {
        private readonly List<byte> _b = new();
        private readonly int _protocol;
        private int _frameStart = -1;

        public Pickle(int protocol)
        {
            _protocol = protocol;
            Op(0x80).Byte(protocol);                                   // PROTO
            // FRAME, length patched in Bytes()
            if (protocol >= 4) { Op(0x95); _frameStart = _b.Count; _b.AddRange(new byte[8]); }
        }

        public Pickle Op(int op) { _b.Add((byte)op); return this; }
        private Pickle Byte(int v) { _b.Add((byte)v); return this; }
        private Pickle Raw(byte[] bytes) { _b.AddRange(bytes); return this; }
        private Pickle Ascii(string s) => Raw(Encoding.ASCII.GetBytes(s));

        public Pickle Mark() => Op(0x28);                              // MARK
        public Pickle Str(string s)
        {
            var u = Encoding.UTF8.GetBytes(s);
            if (_protocol >= 4 && u.Length < 256) return Op(0x8c).Byte(u.Length).Raw(u); // SHORT_BINUNICODE
            var len = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(len, u.Length);
            return Op(0x58).Raw(len).Raw(u);                           // BINUNICODE
        }
        public Pickle Int(int v) => Op(0x4b).Byte(v);                  // BININT1 (0..255)
        /// <summary>GLOBAL 'module\nname\n', the protocol 0-3 way to name a callable.</summary>
        public Pickle Global(string module, string name) => Op(0x63).Ascii(module + "\n" + name + "\n");
        /// <summary>STACK_GLOBAL: module and name strings on the stack, the protocol 4+ way.</summary>
        public Pickle StackGlobal(string module, string name) => Str(module).Str(name).Op(0x93);
        /// <summary>The way a pickle of this protocol names a callable (as Python's pickler chooses).</summary>
        public Pickle Callable(string module, string name) => _protocol >= 4 ? StackGlobal(module, name).Op(0x94)
            : Global(module, name); // MEMOIZE
        public Pickle EmptyTuple() => Op(0x29);
        public Pickle Tuple1() => Op(0x85);
        public Pickle Tuple() => Op(0x74);
        public Pickle Reduce() => Op(0x52);
        public Pickle EmptyDict() => Op(0x7d);
        public Pickle SetItem() => Op(0x73);

        /// <summary>
        /// OrderedDict() as torch.save writes a state_dict: REDUCE of collections.OrderedDict with ().
        /// </summary>
        public Pickle OrderedDict() => Callable("collections", "OrderedDict").EmptyTuple().Reduce();

        /// <summary>
        /// _rebuild_tensor_v2(storage pid, 0, (n,), (1,), False, OrderedDict()) of a float32 storage.
        /// </summary>
        public Pickle Tensor(string storageKey, int numel)
        {
            Callable("torch._utils", "_rebuild_tensor_v2");
            Mark();
            Mark().Str("storage").Callable("torch", "FloatStorage").Str(storageKey).Str("cpu").Int(numel).Tuple();
            Op(0x51);                                                  // BINPERSID
            Int(0).Int(numel).Tuple1().Int(1).Tuple1().Op(0x89);       // offset, size, stride, NEWFALSE
            OrderedDict();
            return Tuple().Reduce();
        }

        public byte[] Bytes()
        {
            var b = new List<byte>(_b) { 0x2e };                       // STOP
            if (_frameStart >= 0)
                BinaryPrimitives.WriteUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(b)
                    .Slice(_frameStart, 8), (ulong)(b.Count - _frameStart - 8));
            return b.ToArray();
        }
    }

    private static object? Unpickle(byte[] bytes) =>
        new PickleReader(new MemoryStream(bytes), "crafted.pth",
            pid => new TorchStorageRef("pid", TorchDType.Float32, 3, "cpu")).Load();

    private static void AssertRefusedByName(byte[] bytes, string fullName)
    {
        var e = Assert.Throws<FpQuantException>(() => Unpickle(bytes));
        Assert.Contains($"'{fullName}'", e.Message);
        Assert.Contains("not allowed", e.Message);
        Assert.Contains("crafted.pth", e.Message);
    }

    /// <summary>
    /// A torch.save-style archive: &lt;name&gt;/data.pkl, one stored entry per storage, version, byteorder.
    /// </summary>
    private static void WriteArchive(string path, byte[] pickle, IEnumerable<(string Key, byte[] Data)> storages)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            using var s = zip.CreateEntry("archive/" + name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        Add("data.pkl", pickle);
        Add("byteorder", Encoding.ASCII.GetBytes("little"));
        foreach (var (key, data) in storages) Add("data/" + key, data);
        Add("version", Encoding.ASCII.GetBytes("3\n"));
    }

    private static byte[] Floats(params float[] v)
    {
        var b = new byte[4 * v.Length];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
        return b;
    }

    /// <summary>
    /// {'w': tensor(storage '0', 3 floats)} as an OrderedDict, through this protocol's way of naming callables.
    /// </summary>
    private static byte[] StateDictPickle(int protocol) =>
        new Pickle(protocol).OrderedDict().Str("w").Tensor("0", 3).SetItem().Bytes();

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void HandWrittenStateDict_Loads_InEveryProtocol(int protocol)
    {
        // The positive twin of every refusal below: the same builder, allowed names, a tensor comes out.
        using var tmp = new TempDir();
        WriteArchive(tmp.File("sd.pth"), StateDictPickle(protocol), new[] { ("0", Floats(1.5f, -2f, 3.25f)) });
        var sd = TorchCheckpoint.LoadStateDict(tmp.File("sd.pth"));
        Assert.Equal(new[] { "w" }, sd.Keys);
        Assert.Equal(new[] { 1.5f, -2f, 3.25f }, sd["w"].Data);
    }

    [Theory]
    [InlineData(2, "os", "system")]
    [InlineData(4, "os", "system")]
    [InlineData(5, "os", "system")]
    [InlineData(2, "posix", "system")]
    [InlineData(4, "subprocess", "Popen")]
    [InlineData(5, "builtins", "eval")]
    [InlineData(2, "__builtin__", "getattr")]
    public void ForbiddenCallable_CalledThroughReduce_IsRefusedByName(int protocol, string module, string name)
    {
        // os.system('echo pwned') as Python's pickler writes it: GLOBAL (protocol 2) or STACK_GLOBAL (4, 5), then
        // REDUCE.
        var bytes = new Pickle(protocol).EmptyDict().Str("model")
            .Callable(module, name).Str("echo pwned").Tuple1().Reduce().SetItem().Bytes();
        AssertRefusedByName(bytes, $"{module}.{name}");
        // End to end through a torch.save-style archive: the error names the file and the global.
        using var tmp = new TempDir();
        WriteArchive(tmp.File("evil.pth"), bytes, Array.Empty<(string, byte[])>());
        var e = Assert.Throws<FpQuantException>(() => TorchCheckpoint.LoadStateDict(tmp.File("evil.pth")));
        Assert.Contains("evil.pth", e.Message);
        Assert.Contains($"'{module}.{name}'", e.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    public void ForbiddenGlobal_MerelyNamed_IsRefused(int protocol)
    {
        // Unpickling in Python imports a global's module as soon as it is named, called or not; a reader that
        // checked names only when REDUCE calls them would let this one through.
        var bytes = new Pickle(protocol).EmptyDict().Str("w").Callable("os", "system").SetItem().Bytes();
        AssertRefusedByName(bytes, "os.system");
        var twin = new Pickle(protocol).EmptyDict().Str("w").Callable("torch", "FloatStorage").SetItem().Bytes();
        Assert.IsType<PickleDict>(Unpickle(twin));
    }

    [Theory]
    [InlineData("torch", "load")]
    [InlineData("torch", "save")]
    [InlineData("torch", "Tensor")]
    [InlineData("torch", "_C")]
    [InlineData("torch._utils", "_rebuild_qtensor")]
    [InlineData("torch._utils", "_rebuild_device_tensor_from_numpy")]
    [InlineData("torch._utils", "_rebuild_tensor")]
    [InlineData("torch._utils", "_rebuild_tensor_v2.__globals__")]
    [InlineData("torch.serialization", "load")]
    [InlineData("collections", "namedtuple")]
    [InlineData("collections", "OrderedDict.fromkeys")]
    [InlineData("collections", "OrderedDict ")]
    [InlineData("Collections", "OrderedDict")]
    [InlineData("torch", "FloatStorage.from_file")]
    public void ForbiddenNameInAnAllowedModule_IsRefused(string module, string name)
    {
        foreach (int protocol in new[] { 2, 4, 5 })
        {
            var bytes = new Pickle(protocol).Callable(module, name).EmptyTuple().Reduce().Bytes();
            AssertRefusedByName(bytes, $"{module}.{name}");
        }
    }

    [Fact]
    public void AllowedNames_AreExactlyTheStateDictOnes()
    {
        // The allow-list itself, spelled out here: a name added to it must be added to this test on purpose.
        var storages = new[] { "Float", "Half", "BFloat16", "Double", "Long", "Int", "Short", "Char", "Byte",
            "Bool" }.Select(s => $"torch.{s}Storage");
        Assert.Equal(
            new[] { "collections.OrderedDict", "torch._utils._rebuild_parameter",
                "torch._utils._rebuild_tensor_v2" }.Concat(storages).OrderBy(s => s, StringComparer.Ordinal),
            PickleReader.AllowedGlobals.OrderBy(s => s, StringComparer.Ordinal));
    }

    [Fact]
    public void AllowedTypeThatIsNotACallable_CannotBeCalled()
    {
        // torch.FloatStorage may be named (persistent ids carry it) but not called, through REDUCE or NEWOBJ.
        foreach (int protocol in new[] { 2, 4 })
        {
            var reduce = new Pickle(protocol).Callable("torch", "FloatStorage").Str("x").Tuple1().Reduce().Bytes();
            Assert.Contains("cannot be called", Assert.Throws<FpQuantException>(() => Unpickle(reduce)).Message);
            var newobj = new Pickle(protocol).Callable("torch", "FloatStorage").EmptyTuple().Op(0x81).Bytes(); // NEWOBJ
            Assert.Contains("cannot be called", Assert.Throws<FpQuantException>(() => Unpickle(newobj)).Message);
        }
        // REDUCE of something that is not a global at all (a string) is refused too.
        var notGlobal = new Pickle(2).Str("os.system").Str("x").Tuple1().Reduce().Bytes();
        Assert.Contains("not an allowed global", Assert.Throws<FpQuantException>(() => Unpickle(notGlobal)).Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void NewObj_OfAForbiddenClass_IsRefusedByName(int protocol)
    {
        var bytes = new Pickle(protocol).Callable("subprocess", "Popen").Str("sh").Tuple1().Op(0x81).Bytes(); // NEWOBJ
        AssertRefusedByName(bytes, "subprocess.Popen");
    }

    [Fact]
    public void OpcodesThatImportOrCallOtherwise_AreRefused()
    {
        var cases = new (string What, byte[] Bytes, string Opcode)[]
        {
            // INST: MARK args 'i' module\nname\n; imports and calls in one opcode.
            ("INST os.system", Concat(new Pickle(2).Mark().Str("echo pwned").Op(0x69), "os\nsystem\n"), "0x69"),
            // INST of an allowed name is refused all the same: the reader does not interpret INST.
            ("INST collections.OrderedDict", Concat(new Pickle(2).Mark().Op(0x69), "collections\nOrderedDict\n"),
                "0x69"),
            // OBJ: MARK class args 'o'.
            ("OBJ OrderedDict", new Pickle(2).Mark().Callable("collections", "OrderedDict").Op(0x6f).Bytes(), "0x6f"),
            // NEWOBJ_EX: cls args kwargs.
            ("NEWOBJ_EX OrderedDict",
                new Pickle(4).Callable("collections", "OrderedDict").EmptyTuple().EmptyDict().Op(0x92).Bytes(), "0x92"),
            // EXT1/EXT2/EXT4: a global named by a copyreg extension code.
            ("EXT1", Concat(new Pickle(2).Op(0x82), new byte[] { 1 }), "0x82"),
            ("EXT2", Concat(new Pickle(2).Op(0x83), new byte[] { 1, 0 }), "0x83"),
            ("EXT4", Concat(new Pickle(2).Op(0x84), new byte[] { 1, 0, 0, 0 }), "0x84"),
            // PERSID: a text persistent id (protocol 0), not what torch.save writes.
            ("PERSID", Concat(new Pickle(2).Op(0x50), "0\n"), "0x50"),
        };
        foreach (var (what, bytes, opcode) in cases)
        {
            var e = Assert.Throws<FpQuantException>(() => Unpickle(bytes));
            Assert.True(e.Message.Contains(opcode, StringComparison.Ordinal)
                || e.Message.Contains("not allowed", StringComparison.Ordinal), $"{what}: {e.Message}");
        }
        // The OBJ case's class alone, and INST's name as a GLOBAL, are fine: the refusal is the opcode's.
        Assert.IsType<PickleGlobal>(Unpickle(new Pickle(2).Callable("collections", "OrderedDict").Bytes()));
    }

    /// <summary>A pickle's bytes up to an opcode, then raw operand bytes and STOP.</summary>
    private static byte[] Concat(Pickle p, string operand) => Concat(p, Encoding.ASCII.GetBytes(operand));

    private static byte[] Concat(Pickle p, byte[] operand)
    {
        var head = p.Bytes();
        return head[..^1].Concat(operand).Append((byte)0x2e).ToArray();
    }

    // ---- optimizer state is never read ----

    /// <summary>
    /// {'model': {'w': storage 0}, 'optimizer': {'state': {0: {'exp_avg': storage 1, 'exp_avg_sq': storage 2}}},
    /// 'epoch': 7}.
    /// </summary>
    private static byte[] TrainingCheckpointPickle(int protocol)
    {
        var p = new Pickle(protocol).EmptyDict();
        p.Str("model").OrderedDict().Str("w").Tensor("0", 3).SetItem().SetItem();
        p.Str("optimizer").EmptyDict()
            .Str("state").EmptyDict().Int(0).EmptyDict()
                .Str("exp_avg").Tensor("1", 3).SetItem()
                .Str("exp_avg_sq").Tensor("2", 3).SetItem()
            .SetItem().SetItem()
            .SetItem();
        p.Str("epoch").Int(7).SetItem();
        return p.Bytes();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void OptimizerStorages_MissingOrCorrupt_DoNotStopTheWeightsFromLoading(int protocol)
    {
        using var tmp = new TempDir();
        var w = Floats(0.25f, 0.5f, -1f);
        // Storage 1 absent from the archive, storage 2 one byte long instead of 12.
        WriteArchive(tmp.File("train.pth"), TrainingCheckpointPickle(protocol),
            new[] { ("0", w), ("2", new byte[] { 7 }) });
        using (var ck = TorchCheckpoint.Open(tmp.File("train.pth")))
        {
            // The optimizer tensors are there in the pickle, so skipping them is a choice, not an accident of parsing.
            var paths = ck.AllTensors().Select(t => t.Path).ToList();
            Assert.Contains("optimizer.state.0.exp_avg", paths);
            Assert.Contains("optimizer.state.0.exp_avg_sq", paths);
            // Asked for directly, the damage shows: these storages really are missing and corrupt.
            var all = ck.AllTensors().ToDictionary(t => t.Path, t => t.Tensor);
            Assert.Contains("lacks",
                Assert.Throws<FpQuantException>(() =>
                    ck.ReadStorage(all["optimizer.state.0.exp_avg"].Storage, "exp_avg")).Message);
            Assert.Contains("has 1 bytes",
                Assert.Throws<FpQuantException>(() =>
                    ck.ReadStorage(all["optimizer.state.0.exp_avg_sq"].Storage, "exp_avg_sq")).Message);
        }
        var sd = TorchCheckpoint.LoadStateDict(tmp.File("train.pth"));
        Assert.Equal(new[] { "w" }, sd.Keys);
        Assert.Equal(new[] { 0.25f, 0.5f, -1f }, sd["w"].Data);

        // The control: the model's own storage missing is an error naming the tensor and the storage.
        WriteArchive(tmp.File("nomodel.pth"), TrainingCheckpointPickle(protocol), new[] { ("1", w), ("2", w) });
        var e = Assert.Throws<FpQuantException>(() => TorchCheckpoint.LoadStateDict(tmp.File("nomodel.pth")));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("storage '0'", e.Message);
    }

    [Fact]
    public void RealTrainingCheckpoint_WithItsOptimizerStoragesRemoved_LoadsTheSameWeights()
    {
        // PyTorch's own file (golden/checkpoints): delete every storage only the optimizer state uses; the state_dict
        // must come out bit for bit as from the intact file.
        using var tmp = new TempDir();
        string src = TestPaths.Golden("checkpoints", "tiny_checkpoint_with_optimizer.pth");
        string copy = tmp.File("stripped.pth");
        File.Copy(src, copy);
        HashSet<string> optimizerOnly;
        using (var ck = TorchCheckpoint.Open(src))
        {
            var model = ck.FindStateDict().Tensors.Select(t => t.Tensor.Storage.Key).ToHashSet();
            optimizerOnly = ck.AllTensors().Where(t => t.Path.StartsWith("optimizer.", StringComparison.Ordinal))
                .Select(t => t.Tensor.Storage.Key).Where(k => !model.Contains(k)).ToHashSet();
        }
        Assert.True(optimizerOnly.Count >= 4, $"only {optimizerOnly.Count} optimizer storages");
        using (var zip = ZipFile.Open(copy, ZipArchiveMode.Update))
        {
            var doomed = zip.Entries.Where(e => e.FullName.Contains("/data/", StringComparison.Ordinal)
                && optimizerOnly.Contains(e.Name)).ToList();
            Assert.Equal(optimizerOnly.Count, doomed.Count);
            foreach (var entry in doomed) entry.Delete();
        }
        var intact = TorchCheckpoint.LoadStateDict(src);
        var stripped = TorchCheckpoint.LoadStateDict(copy);
        Assert.Equal(intact.Keys, stripped.Keys);
        foreach (var k in intact.Keys)
        {
            Assert.Equal(intact[k].Shape, stripped[k].Shape);
            Assert.Equal(intact[k].Data, stripped[k].Data);
        }
    }
}
