"""OCI image tarballs the suite writes itself: an index, manifest and config whose digests and sizes are the
blobs', a layer holding the files with their parents, and the same bytes for the same files."""

import hashlib
import io
import json
import tarfile

from upgrade_suite.cluster.images import ImageFile, layer, oci_tarball

FILES = {
    "bin/busybox": ImageFile(b"\x7fELF static", 0o755),
    "bin/sh": ImageFile(link="busybox"),
    "www/index.html": ImageFile(b"hello\n"),
}


def read(tarball):
    with tarfile.open(tarball) as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers() if member.isfile()}


def blob(entries, descriptor):
    data = entries["blobs/sha256/" + descriptor["digest"].removeprefix("sha256:")]
    assert hashlib.sha256(data).hexdigest() == descriptor["digest"].removeprefix("sha256:")
    assert len(data) == descriptor["size"]
    return data


def test_the_index_names_the_image_and_every_descriptor_matches_its_blob(tmp_path):
    image = oci_tarball("local.test/web:v1", FILES, ["/bin/busybox"], tmp_path / "web.tar", ["httpd", "-f"])
    entries = read(image.tarball)
    assert json.loads(entries["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    (entry,) = json.loads(entries["index.json"])["manifests"]
    assert entry["annotations"]["io.containerd.image.name"] == "local.test/web:v1"
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "v1"
    assert entry["digest"] == image.digest
    manifest = json.loads(blob(entries, entry))
    assert manifest["mediaType"] == entry["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    config = json.loads(blob(entries, manifest["config"]))
    (layer_descriptor,) = manifest["layers"]
    layer_blob = blob(entries, layer_descriptor)
    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(layer_blob).hexdigest()]
    assert config["config"]["Entrypoint"] == ["/bin/busybox"] and config["config"]["Cmd"] == ["httpd", "-f"]
    assert len([name for name in entries if name.startswith("blobs/")]) == 3


def test_the_layer_holds_the_files_their_parents_and_links_owned_by_root(tmp_path):
    with tarfile.open(fileobj=io.BytesIO(layer(FILES))) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert list(members) == ["bin", "www", "bin/busybox", "bin/sh", "www/index.html"]
        assert members["bin"].isdir() and members["bin/sh"].issym() and members["bin/sh"].linkname == "busybox"
        assert members["bin/busybox"].mode == 0o755 and tar.extractfile("www/index.html").read() == b"hello\n"
        assert {(m.uid, m.gid, m.mtime) for m in members.values()} == {(0, 0, 0)}


def test_the_same_files_give_the_same_digest(tmp_path):
    first = oci_tarball("a:1", FILES, ["/bin/busybox"], tmp_path / "1.tar")
    second = oci_tarball("a:1", dict(reversed(FILES.items())), ["/bin/busybox"], tmp_path / "2.tar")
    assert first.digest == second.digest
    assert (tmp_path / "1.tar").read_bytes() == (tmp_path / "2.tar").read_bytes()
    assert not list(tmp_path.glob("*.partial"))
