"""Adversarial autoencoder over the pooled acoustic embedding (semi-supervised, after
Makhzani et al. (2015) and the multi-task SER formulation of Latif et al. (2022); full
references in docs/references.md).

An encoder maps the embedding x to a Gaussian-style code z and a categorical code y (a softmax
over the emotion classes). A decoder reconstructs x from [z; y]. Two discriminators learn to tell
z from samples of N(0, I) and y from one-hot samples of the class prior; the encoder learns to
fool them, which shapes the codes into the priors. On labelled utterances y is also trained
with cross-entropy, tying the categorical part to the emotion classes. Reconstruction and prior
matching need no labels, so unlabelled speech trains the encoder too.

Everything runs under a single optimizer: the discriminators see detached codes (so their loss
moves only them), and the encoder's adversarial loss goes through a parameter-detached copy of
each discriminator (so it moves only the encoder).
"""
from __future__ import annotations

import torch
from torch.func import functional_call


def _mlp(i: int, h: int, o: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(i, h), torch.nn.LeakyReLU(0.2), torch.nn.Linear(h, h),
                               torch.nn.LeakyReLU(0.2), torch.nn.Linear(h, o))


class AdversarialAutoencoder(torch.nn.Module):
    def __init__(self, input_dim: int, num_classes: int, z_dim: int = 16, hidden: int = 128,
                 class_prior: list[float] | None = None):
        super().__init__()
        self.num_classes = num_classes
        self.encoder = _mlp(input_dim, hidden, z_dim + num_classes)
        self.decoder = _mlp(z_dim + num_classes, hidden, input_dim)
        self.disc_z = _mlp(z_dim, hidden, 1)
        self.disc_y = _mlp(num_classes, hidden, 1)
        self.z_dim = z_dim
        prior = torch.full((num_classes,), 1.0 / num_classes) if class_prior is None else torch.tensor(class_prior)
        self.register_buffer("class_prior", prior / prior.sum())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(z, class logits)."""
        h = self.encoder(x)
        return h[:, : self.z_dim], h[:, self.z_dim:]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Losses summed over the batch (divide by the batch size for means) and the class logits."""
        z, logits = self.encode(x)
        y = torch.softmax(logits, dim=-1)
        recon = self.decoder(torch.cat([z, y], dim=-1))
        target = x.detach()
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        n = x.size(0)
        z_prior = torch.randn_like(z)
        y_prior = torch.nn.functional.one_hot(torch.multinomial(self.class_prior, n, replacement=True),
                                              self.num_classes).to(y.dtype)
        ones, zeros = torch.ones(n, 1, device=x.device), torch.zeros(n, 1, device=x.device)
        d_loss = (bce(self.disc_z(z_prior), ones, reduction="sum")
                  + bce(self.disc_z(z.detach()), zeros, reduction="sum")
                  + bce(self.disc_y(y_prior), ones, reduction="sum")
                  + bce(self.disc_y(y.detach()), zeros, reduction="sum"))
        g_loss = (bce(self._frozen(self.disc_z, z), ones, reduction="sum")
                  + bce(self._frozen(self.disc_y, y), ones, reduction="sum"))
        return {
            "recon": ((recon - target) ** 2).mean(-1).sum(),
            "disc": d_loss,
            "gen": g_loss,
            "logits": logits,
        }

    @staticmethod
    def _frozen(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        params = {k: v.detach() for k, v in module.named_parameters()}
        return functional_call(module, params, (x,))
