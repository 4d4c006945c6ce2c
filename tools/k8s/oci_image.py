#!/usr/bin/env python3
"""Writes an OCI image archive (the layout `ctr images import` reads) from layer tarballs, without a registry.

Layers are stored uncompressed (containerd unpacks them as they are), so a layer's digest is also its diff id and an
identical layer shared by two images is stored once. Usage:
  oci_image.py --name localhost/airline/kafka:3.9.2 --out kafka.oci.tar --layer base.tar --layer libs.tar \
      [--entrypoint '["/bin/bash"]'] [--cmd '[]'] [--env K=V ...] [--workdir /] [--user 1000:1000]
"""
import argparse
import hashlib
import io
import json
import os
import tarfile


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return 'sha256:' + digest.hexdigest(), os.path.getsize(path)


def add_bytes(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def blob_name(digest):
    return 'blobs/sha256/' + digest.split(':', 1)[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--name', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--layer', action='append', default=[])
    parser.add_argument('--entrypoint', default='null')
    parser.add_argument('--cmd', default='null')
    parser.add_argument('--env', action='append', default=[])
    parser.add_argument('--workdir', default='/')
    parser.add_argument('--user', default='')
    args = parser.parse_args()

    layers = [(path, *sha256_file(path)) for path in args.layer]
    env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] + args.env
    config = {
        'architecture': 'amd64',
        'os': 'linux',
        'created': '1970-01-01T00:00:00Z',
        'config': {
            'Env': env,
            'Entrypoint': json.loads(args.entrypoint),
            'Cmd': json.loads(args.cmd),
            'WorkingDir': args.workdir,
            'User': args.user,
            'Labels': {'org.opencontainers.image.ref.name': args.name},
        },
        'rootfs': {'type': 'layers', 'diff_ids': [digest for _, digest, _ in layers]},
        'history': [{'created': '1970-01-01T00:00:00Z', 'created_by': os.path.basename(path)} for path, _, _ in layers],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_digest = 'sha256:' + hashlib.sha256(config_bytes).hexdigest()
    manifest = {
        'schemaVersion': 2,
        'mediaType': 'application/vnd.oci.image.manifest.v1+json',
        'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': config_digest, 'size': len(config_bytes)},
        'layers': [
            {'mediaType': 'application/vnd.oci.image.layer.v1.tar', 'digest': digest, 'size': size}
            for _, digest, size in layers
        ],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    manifest_digest = 'sha256:' + hashlib.sha256(manifest_bytes).hexdigest()
    index = {
        'schemaVersion': 2,
        'mediaType': 'application/vnd.oci.image.index.v1+json',
        'manifests': [{
            'mediaType': 'application/vnd.oci.image.manifest.v1+json',
            'digest': manifest_digest,
            'size': len(manifest_bytes),
            'platform': {'architecture': 'amd64', 'os': 'linux'},
            'annotations': {'io.containerd.image.name': args.name, 'org.opencontainers.image.ref.name': args.name},
        }],
    }
    partial = args.out + '.partial'
    with tarfile.open(partial, 'w', format=tarfile.PAX_FORMAT) as archive:
        add_bytes(archive, 'oci-layout', json.dumps({'imageLayoutVersion': '1.0.0'}).encode())
        add_bytes(archive, 'index.json', json.dumps(index, sort_keys=True).encode())
        add_bytes(archive, blob_name(manifest_digest), manifest_bytes)
        add_bytes(archive, blob_name(config_digest), config_bytes)
        seen = set()
        for path, digest, _ in layers:
            if digest not in seen:
                seen.add(digest)
                archive.add(path, arcname=blob_name(digest))
    os.replace(partial, args.out)
    print(f'{args.name} {manifest_digest}')


if __name__ == '__main__':
    main()
