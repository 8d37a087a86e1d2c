namespace FpQuant.Rendering;

public enum MeshColorSource { Texture, VertexColors, Uniform }
