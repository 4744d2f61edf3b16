"""Writes the OA-Net fixtures (docs/method.md §3, §4, §5) for Tests/AGFASOANetTests.

    /work/venv/bin/python scripts/make_oanet_fixtures.py

The reference is assembled from the real pieces docs/method.md §4 names: transformers 4.28.1's
ViTModel (embeddings, self-attention, MLP and LayerNorms run through its own modules),
torchvision's ResNet-18 written out in torch (torchvision is not installed; module names
reproduce its state-dict keys), SSDG's embedder, normalised classifier, GRL discriminator and
losses. The module tree and the names of what the authors added (backbone.vit with
crossattention.{query,key,value,dense} and ln_cross_attn per layer, backbone_res,
embedder_res.layer4, embedder.bottleneck_layer_fc and its second name
embedder.bottleneck_layer.0) reproduce the authors' model/FAS_model.py and
model/modified_vit/modeling_vit.py, as Sources/AGFASOANet/OANetKeys.swift lists them.

Tiny configuration: ViT hidden 32, 2 layers, 2 heads, MLP 64, patch 8 on 32x32 (input 64x64
resized by 2); ResNet-18 with base width 2 (channels 2, 4, 8, 16: cue tokens of 16);
embedding 16; discriminator hidden 16.

Writes into Tests/AGFASOANetTests/Fixtures/:
- oanet.safetensors:
  - `state/<key>`: the OA-Net state dict (random weights, non-zero cross-attention outputs and
    BatchNorm statistics so every path shows); `disc/<key>`: the discriminator's.
  - forward case (eval mode, 2 faces at 64x64): `fwd/img`, `fwd/rec`, `fwd/residual` (the cue
    input's channels 3..5; 0..2 are `fwd/img`), `fwd/tokens`, `fwd/features`, `fwd/embeddings`,
    `fwd/logits`, `fwd/scores`.
  - one SSDG step (train mode, 3 domains x (2 live + 2 spoof)): `step/img_base`, `step/rec_base`
    (16x16, nearest-upsampled x4 to the 64x64 inputs), `step/dropout_mask`,
    `step/logits`, `step/embeddings`, `step/loss.{cls,triplet,adv,total}`, `grad/<key>` and
    `disc_grad/<key>` for every parameter with a gradient, `after/<key>` and `disc_after/<key>`
    after one SGD step (lr 1e-3, momentum 0.9, weight decay 5e-4), BatchNorm buffers included.
    `autocast_grad/<key>`, `autocast_disc_grad/<key>`: the same step's gradients under
    torch.autocast("cpu", bfloat16), the yardstick for bf16 training.
    Metadata `config` (tiny sizes) and `step` (labels, domains, GRL coefficient, triplet count).
- vit_tiny/: a transformers ViTModel folder (config.json + pytorch_model.bin) of the tiny ViT.
- resnet_tiny.pth: the tiny ResNet-18 as torchvision saves it (with fc.*, 10 classes to stay small).
- oanet_checkpoint.pth: the OA-Net state dict in an SSDG-style training checkpoint
  (`{"epoch", "state_dict", "best_model_EER", ...}`) with DataParallel's `module.` prefixes.
- vit_base_keys.json / resnet18_keys.json: keys and shapes of transformers' ViTModel(ViTConfig())
  and of torchvision's resnet18 (no weights).
"""
import json
import math
import pathlib

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn
from transformers import ViTConfig, ViTModel

ROOT = pathlib.Path(__file__).resolve().parent
OUT = ROOT.parent / "Tests" / "AGFASOANetTests" / "Fixtures"

TINY = dict(hidden=32, layers=2, heads=2, mlp=64, image=32, patch=8, cue_width=2, embedding=16, disc_hidden=16)
GRL_ITERATION, MAX_ITERATIONS = 200, 4000


# --- torchvision ResNet-18 (names as torchvision's state dict) ---------------------------------
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """torchvision.models.resnet18 with a configurable base width; `fc` only for saving."""

    def __init__(self, width=64, with_fc=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = width
        for i in range(4):
            cout = width * 2**i
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        if with_fc:
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(cin, 1000 if width == 64 else 10)
        for m in self.modules():  # torchvision's init
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.layer4(self.up_to_layer3(x))

    def up_to_layer3(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer3(self.layer2(self.layer1(x)))


# --- OA-Net ---------------------------------------------------------------------------------------
class CrossAttention(nn.Module):
    """The CrossAttn of docs/method.md §4 under the reference's names (query, key, value, dense), initialised as
    its ViTCrossModel leaves it: ViT's init (weights N(0, 0.02) truncated at +-2, biases 0),
    then a zero output weight."""

    def __init__(self, hidden, kv_dim, heads):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(kv_dim, hidden)
        self.value = nn.Linear(kv_dim, hidden)
        self.dense = nn.Linear(hidden, hidden)
        for m in (self.query, self.key, self.value, self.dense):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        nn.init.zeros_(self.dense.weight)

    def forward(self, x, tokens):
        b, n, c = x.shape
        d = c // self.heads

        def split(t):
            return t.view(b, -1, self.heads, d).transpose(1, 2)

        q = split(self.query(x))
        k = split(self.key(tokens))
        v = split(self.value(tokens))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        out = (probs @ v).transpose(1, 2).reshape(b, n, c)
        return self.dense(out)


def vit_layers(vit):
    """The ViT's blocks: `encoder.layer` in transformers 4, `layers` in transformers 5, which
    renames the modules in memory (its files keep the classic names)."""
    return vit.encoder.layer if hasattr(vit, "encoder") else vit.layers


def vit_mlp(layer, x):
    """A block's MLP without its residual: `intermediate` + `output.dense` in transformers 4
    (whose `output` adds the residual itself), `mlp` in transformers 5."""
    return layer.mlp(x) if hasattr(layer, "mlp") else layer.output.dense(layer.intermediate(x))


def l2_norm(x, axis):
    return x / torch.norm(x, 2, axis, True)


class OANet(nn.Module):
    def __init__(self, vit_config, cue_width, embedding):
        super().__init__()
        self.image_size = vit_config.image_size
        # The reference's module tree: backbone.vit (its ViTCrossModel), backbone_res (ResNet-18
        # up to layer3), embedder_res.layer4, embedder, classifier.
        self.backbone = nn.Module()
        self.backbone.vit = ViTModel(vit_config)
        hidden = vit_config.hidden_size
        for layer in vit_layers(self.backbone.vit):
            layer.crossattention = CrossAttention(hidden, cue_width * 8, vit_config.num_attention_heads)
            layer.ln_cross_attn = nn.LayerNorm(hidden, eps=vit_config.layer_norm_eps)
        resnet = ResNet18(cue_width)
        self.embedder_res = nn.Module()
        self.embedder_res.layer4 = resnet.layer4
        del resnet.layer4
        self.backbone_res = resnet
        self.embedder = nn.Module()
        self.embedder.bottleneck_layer_fc = nn.Linear(hidden, embedding)
        self.embedder.bottleneck_layer_fc.weight.data.normal_(0, 0.005)
        self.embedder.bottleneck_layer_fc.bias.data.fill_(0.1)
        # As in the reference: the same Linear again inside an unused Sequential, which puts
        # its tensors in the state dict a second time (embedder.bottleneck_layer.0.*).
        self.embedder.bottleneck_layer = nn.Sequential(self.embedder.bottleneck_layer_fc, nn.ReLU(), nn.Dropout(0.5))
        self.classifier = nn.Module()
        self.classifier.classifier_layer = nn.Linear(embedding, 2)
        self.classifier.classifier_layer.weight.data.normal_(0, 0.01)
        self.classifier.classifier_layer.bias.data.fill_(0.0)

    def forward(self, x):
        img, res = x[:, :3], x[:, 3:]
        cue = self.embedder_res.layer4(self.backbone_res.up_to_layer3(res))
        tokens = cue.flatten(2).transpose(1, 2)
        pixels = F.interpolate(img, size=(self.image_size,) * 2, mode="bilinear", align_corners=False)
        vit = self.backbone.vit
        h = vit.embeddings(pixels)
        for layer in vit_layers(vit):
            h = layer.attention(layer.layernorm_before(h))[0] + h
            h = layer.crossattention(layer.ln_cross_attn(h), tokens) + h
            h = vit_mlp(layer, layer.layernorm_after(h)) + h
        features = vit.layernorm(h)[:, 0]
        f = self.embedder.bottleneck_layer_fc(features)
        # SSDG's Feature_Embedder with norm_flag: f / (sqrt(max(|f|, 1e-12)) * sqrt(2)).
        norm = torch.norm(f, p=2, dim=1, keepdim=True).clamp(min=1e-12) ** 0.5 * (2) ** 0.5
        embeddings = torch.div(f, norm)
        # SSDG's Classifier with norm_flag: the weight itself is replaced, then used as a leaf.
        layer = self.classifier.classifier_layer
        layer.weight.data = l2_norm(layer.weight, axis=0)
        logits = layer(embeddings)
        return logits, embeddings, features, tokens


class GRL(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coeff):
        ctx.coeff = coeff
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        return -ctx.coeff * g, None


class Discriminator(nn.Module):
    """SSDG's Discriminator with an injected dropout mask (x * mask / (1 - p), p = 0.5)."""

    def __init__(self, embedding, hidden, domains):
        super().__init__()
        self.fc1 = nn.Linear(embedding, hidden)
        self.fc1.weight.data.normal_(0, 0.01)
        self.fc1.bias.data.fill_(0.0)
        self.fc2 = nn.Linear(hidden, domains)
        self.fc2.weight.data.normal_(0, 0.3)
        self.fc2.bias.data.fill_(0.0)

    def forward(self, x, coeff, mask):
        h = torch.relu(self.fc1(GRL.apply(x, coeff)))
        return self.fc2(h * (mask / 0.5))


# --- SSDG losses (SSDG's HardTripletLoss with hardest=False, squared=False) -----------------------
def pairwise_distance(x, eps=1e-16):
    cor = torch.matmul(x, x.t())
    norm = cor.diag()
    d = F.relu(norm.unsqueeze(1) - 2 * cor + norm.unsqueeze(0))
    mask = torch.eq(d, 0.0).float()
    return torch.sqrt(d + mask * eps) * (1.0 - mask)


def triplet_loss(embeddings, labels, margin=0.1):
    d = pairwise_distance(embeddings)
    loss = d.unsqueeze(2) - d.unsqueeze(1) + margin
    n = labels.shape[0]
    distinct = ~torch.eye(n, dtype=torch.bool)
    distinct = distinct.unsqueeze(2) & distinct.unsqueeze(1) & distinct.unsqueeze(0)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    valid = same.unsqueeze(2) & ~same.unsqueeze(1)
    loss = F.relu(loss * (distinct & valid).float())
    count = torch.gt(loss, 1e-16).float().sum()
    return loss.sum() / (count + 1e-16), int(count)


def anomalous_cue(img, rec):
    """docs/method.md §3: per-sample (res - mean) / (unbiased std + 1e-8), concatenated after the image."""
    res = img - rec
    b = res.shape[0]
    flat = res.reshape(b, -1)
    mean = flat.mean(dim=1).view(b, 1, 1, 1)
    std = flat.std(dim=1).view(b, 1, 1, 1)
    return torch.cat([img, (res - mean) / (std + 1e-8)], dim=1)


def randomize(model):
    """Trained-looking values: non-zero cross-attention outputs, non-trivial BatchNorm."""
    g = torch.Generator().manual_seed(1)
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=g)
            m.bias.data = 0.2 * torch.randn(c, generator=g)
            m.running_mean.data = 0.3 * torch.randn(c, generator=g)
            m.running_var.data = 0.5 + torch.rand(c, generator=g)
            m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
        elif name.endswith("crossattention.dense"):
            m.weight.data = 0.2 * torch.randn(m.weight.shape, generator=g)
        elif isinstance(m, nn.LayerNorm):
            m.weight.data = 1 + 0.2 * torch.randn(m.weight.shape, generator=g)
            m.bias.data = 0.1 * torch.randn(m.bias.shape, generator=g)
    # The tiny embedder's outputs would be dominated by its 0.1 bias; spread them so the
    # triplet loss sees both satisfied and violated triplets.
    model.embedder.bottleneck_layer_fc.weight.data.normal_(0, 0.3, generator=g)


def tiny_vit_config():
    t = TINY
    return ViTConfig(
        hidden_size=t["hidden"], num_hidden_layers=t["layers"], num_attention_heads=t["heads"],
        intermediate_size=t["mlp"], image_size=t["image"], patch_size=t["patch"])


def detached_state(module, aliases=False):
    """The state dict; without `aliases`, less the second names of shared tensors
    (embedder.bottleneck_layer.0.*), which AGFAS's own state dicts do not hold."""
    return {k: v.detach().clone().contiguous() for k, v in module.state_dict().items()
            if aliases or not k.startswith("embedder.bottleneck_layer.")}


def write_key_list(path, state):
    lines = [f"{json.dumps(k)}: {json.dumps(list(v.shape))}" for k, v in state.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    vit_config = tiny_vit_config()
    net = OANet(vit_config, TINY["cue_width"], TINY["embedding"])
    randomize(net)
    disc = Discriminator(TINY["embedding"], TINY["disc_hidden"], 3)
    tensors = {f"state/{k}": v for k, v in detached_state(net).items()}
    reference_state = detached_state(net, aliases=True)
    tensors.update({f"disc/{k}": v for k, v in detached_state(disc).items()})
    meta = {"config": json.dumps(dict(TINY, vit=vit_config.to_diff_dict()))}

    # Forward parity, eval mode (BatchNorm running statistics).
    net.eval()
    img = torch.rand(2, 3, 64, 64) * 2 - 1
    rec = (img + 0.2 * torch.randn(img.shape)).clamp(-1, 1)
    with torch.no_grad():
        cue = anomalous_cue(img, rec)
        logits, emb, features, tokens = net(cue)
    tensors.update({
        "fwd/img": img, "fwd/rec": rec, "fwd/residual": cue[:, 3:], "fwd/tokens": tokens, "fwd/features": features,
        "fwd/embeddings": emb, "fwd/logits": logits, "fwd/scores": torch.softmax(logits, dim=1)[:, 1]})
    # The forward normalised the classifier weight in place, as the reference does: restore it.
    net.load_state_dict(reference_state)

    # One SSDG step, train mode: order [d0 live, d0 spoof, d1 live, d1 spoof, d2 live, d2 spoof].
    net.train()
    disc.train()
    per = 2
    img_base = torch.rand(12, 3, 16, 16) * 2 - 1
    rec_base = (img_base + 0.2 * torch.randn(img_base.shape)).clamp(-1, 1)
    up = lambda t: F.interpolate(t, scale_factor=4, mode="nearest")
    cue = anomalous_cue(up(img_base), up(rec_base))
    labels = torch.tensor([1] * per + [0] * per + [1] * per + [0] * per + [1] * per + [0] * per)
    domains = torch.tensor([0] * 2 * per + [1] * 2 * per + [2] * 2 * per)
    triplet_labels = torch.where(labels == 1, torch.zeros_like(domains), domains + 1)
    live = labels == 1
    coeff = 2.0 / (1.0 + math.exp(-10 * GRL_ITERATION / MAX_ITERATIONS)) - 1.0
    mask = torch.bernoulli(torch.full((int(live.sum()), TINY["disc_hidden"]), 0.5))

    params = [p for p in net.parameters() if p.requires_grad] + list(disc.parameters())
    opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, weight_decay=5e-4)
    opt.zero_grad()
    logits, emb, _, _ = net(cue)
    cls = F.cross_entropy(logits, labels)
    triplet, count = triplet_loss(emb, triplet_labels)
    adv = F.cross_entropy(disc(emb[live], coeff, mask), domains[live])
    total = cls + 1.0 * triplet + 0.5 * adv
    total.backward()
    tensors.update({
        "step/img_base": img_base, "step/rec_base": rec_base, "step/dropout_mask": mask,
        "step/logits": logits.detach(), "step/embeddings": emb.detach(),
        "step/loss.cls": cls.detach(), "step/loss.triplet": triplet.detach(), "step/loss.adv": adv.detach(),
        "step/loss.total": total.detach()})
    for prefix, module in [("grad", net), ("disc_grad", disc)]:
        for k, p in module.named_parameters():
            if p.grad is not None:
                tensors[f"{prefix}/{k}"] = p.grad.detach().clone()
    opt.step()
    tensors.update({f"after/{k}": v for k, v in detached_state(net).items()})
    tensors.update({f"disc_after/{k}": v for k, v in detached_state(disc).items()})

    # The same step's gradients under torch.autocast bf16 (fp32 weights, bf16 compute where
    # autocast casts): the yardstick for AGFAS's bf16 training error.
    net.load_state_dict(reference_state)
    disc.load_state_dict({k[len("disc/"):]: v for k, v in tensors.items() if k.startswith("disc/")})
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, emb, _, _ = net(cue)
        total = (F.cross_entropy(logits, labels) + triplet_loss(emb, triplet_labels)[0]
                 + 0.5 * F.cross_entropy(disc(emb[live], coeff, mask), domains[live]))
    total.backward()
    for prefix, module in [("autocast_grad", net), ("autocast_disc_grad", disc)]:
        for k, p in module.named_parameters():
            if p.grad is not None:
                tensors[f"{prefix}/{k}"] = p.grad.detach().float().clone()
    meta["step"] = json.dumps({
        "labels": labels.tolist(), "domains": domains.tolist(), "grl_coefficient": coeff,
        "grl_iteration": GRL_ITERATION, "max_iterations": MAX_ITERATIONS, "triplet_count": count,
        "lr": 1e-3, "momentum": 0.9, "weight_decay": 5e-4, "triplet_weight": 1.0, "adversarial_weight": 0.5})
    print("losses", cls.item(), triplet.item(), adv.item(), total.item(), "positive triplets", count)
    save_file({k: v.float().contiguous() if v.is_floating_point() else v for k, v in tensors.items()},
              str(OUT / "oanet.safetensors"), metadata=meta)

    # A trained model as the reference's training code saves it (SSDG's save_checkpoint).
    state = {"module." + k: v for k, v in reference_state.items()}
    torch.save({"epoch": 3, "state_dict": state, "valid_arg": [0.1, 0.9], "best_model_EER": 0.1,
                "best_model_ACER": 0.1, "best_model_ACC": 0.9, "threshold": 0.5}, str(OUT / "oanet_checkpoint.pth"))

    # Pretrained-file formats: a transformers ViT folder and a torchvision ResNet .pth.
    torch.manual_seed(2)
    vit = ViTModel(vit_config)
    vit.save_pretrained(str(OUT / "vit_tiny"), safe_serialization=False)
    resnet = ResNet18(TINY["cue_width"], with_fc=True)
    torch.save(resnet.state_dict(), str(OUT / "resnet_tiny.pth"))

    write_key_list(OUT / "vit_base_keys.json", ViTModel(ViTConfig()).state_dict())
    write_key_list(OUT / "resnet18_keys.json", ResNet18(64, with_fc=True).state_dict())
    total_size = 0
    for f in sorted(OUT.rglob("*")):
        if f.is_file():
            total_size += f.stat().st_size
            print(f.relative_to(OUT), f.stat().st_size, "bytes")
    print("total", total_size, "bytes")


if __name__ == "__main__":
    main()
