/* SPDX-License-Identifier: MIT */
/*
 * A PCI device in a userspace driver's hands through VFIO, for the
 * examples (and the tests) that drive real devices with iobmd memory.
 *
 *   auto dev = vfio_pci::Device::open(vfio_pci::find(0x1234, 0x11e8), &why);
 *   auto mapper = iobmd::IOVFIOMapper::withContainer(dev->container());
 *   volatile std::uint8_t *bar0 = dev->bar(0);
 *
 * open() binds the device to vfio-pci (driver_override, then a probe; the
 * driver it had, if any, is unbound first), opens its IOMMU group and a
 * container with the Type1 IOMMU, enables the device and its bus
 * mastering.  openIOMMUFD() does the same through iommufd: the device's
 * own file (/dev/vfio/devices/vfioN) bound to a new iommufd and attached
 * to a new I/O address space (iobmd::IOVFIOMapper::withIOAS(dev->iommufd(),
 * dev->ioas())); it needs a kernel with IOMMUFD and VFIO_DEVICE_CDEV.
 * The device stays bound to vfio-pci when the object goes.  Needs root
 * and an IOMMU (or passthrough) with vfio-pci and vfio_iommu_type1 loaded.
 */
#ifndef IOBMD_EXAMPLES_VFIO_PCI_HPP
#define IOBMD_EXAMPLES_VFIO_PCI_HPP

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vfio_pci {

inline std::string sysfs(const std::string &bdf)
{
	return "/sys/bus/pci/devices/" + bdf;
}

inline bool writeFile(const std::string &path, const std::string &text)
{
	int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = ::write(fd, text.data(), text.size()) ==
		  static_cast<ssize_t>(text.size());
	::close(fd);
	return ok;
}

inline unsigned long readHex(const std::string &path)
{
	std::ifstream in(path);
	unsigned long v = 0;
	in >> std::hex >> v;
	return in ? v : ~0ul;
}

/* The address ("0000:00:04.0") of the first PCI device with these IDs,
 * or "" when there is none. */
inline std::string find(std::uint16_t vendor, std::uint16_t device)
{
	std::vector<std::string> found;
	DIR *d = ::opendir("/sys/bus/pci/devices");
	if (!d)
		return "";
	while (struct dirent *e = ::readdir(d)) {
		std::string bdf = e->d_name;
		if (bdf[0] == '.')
			continue;
		if (readHex(sysfs(bdf) + "/vendor") == vendor &&
		    readHex(sysfs(bdf) + "/device") == device)
			found.push_back(bdf);
	}
	::closedir(d);
	if (found.empty())
		return "";
	std::sort(found.begin(), found.end());
	return found.front();
}

class Device {
public:
	/* Null, with the reason in *@why, on failure. */
	static std::unique_ptr<Device> open(const std::string &bdf,
					    std::string *why)
	{
		return make(bdf, why, &Device::openGroup);
	}

	/* The same through iommufd; null, with the reason, on failure. */
	static std::unique_ptr<Device> openIOMMUFD(const std::string &bdf,
						   std::string *why)
	{
		return make(bdf, why, &Device::openCdev);
	}

	~Device()
	{
		for (auto &b : bars_)
			if (b.base)
				::munmap(b.base, b.size);
		if (device_ >= 0)
			::close(device_);
		if (iommufd_ >= 0)
			::close(iommufd_);
		if (group_ >= 0)
			::close(group_);
		if (container_ >= 0)
			::close(container_);
	}
	Device(const Device &) = delete;
	Device &operator=(const Device &) = delete;

	const std::string &address() const { return bdf_; }
	/* open(): the container; openIOMMUFD(): the iommufd and the IOAS. */
	int container() const { return container_; }
	int iommufd() const { return iommufd_; }
	std::uint32_t ioas() const { return ioas_; }
	int device() const { return device_; }

	/* BAR @index mapped into this process (null if it cannot be);
	 * *@size gets its length. */
	volatile std::uint8_t *bar(unsigned index, std::uint64_t *size = nullptr)
	{
		if (index >= bars_.size())
			return nullptr;
		Bar &b = bars_[index];
		if (!b.base) {
			vfio_region_info r{};
			r.argsz = sizeof(r);
			r.index = VFIO_PCI_BAR0_REGION_INDEX + index;
			if (::ioctl(device_, VFIO_DEVICE_GET_REGION_INFO, &r) ||
			    !(r.flags & VFIO_REGION_INFO_FLAG_MMAP) || !r.size)
				return nullptr;
			void *p = ::mmap(nullptr, r.size, PROT_READ | PROT_WRITE,
					 MAP_SHARED, device_,
					 static_cast<off_t>(r.offset));
			if (p == MAP_FAILED)
				return nullptr;
			b.base = p;
			b.size = r.size;
		}
		if (size)
			*size = b.size;
		return static_cast<volatile std::uint8_t *>(b.base);
	}

	/* Configuration space, through the device's config region. */
	bool config(std::uint32_t offset, void *bytes, std::size_t len,
		    bool write)
	{
		vfio_region_info r{};
		r.argsz = sizeof(r);
		r.index = VFIO_PCI_CONFIG_REGION_INDEX;
		if (::ioctl(device_, VFIO_DEVICE_GET_REGION_INFO, &r))
			return false;
		off_t at = static_cast<off_t>(r.offset + offset);
		ssize_t n = write ? ::pwrite(device_, bytes, len, at) :
				    ::pread(device_, bytes, len, at);
		return n == static_cast<ssize_t>(len);
	}

	/* A function-level (or whatever the device has) reset. */
	bool reset() { return !::ioctl(device_, VFIO_DEVICE_RESET); }

private:
	struct Bar {
		void *base = nullptr;
		std::size_t size = 0;
	};

	Device() : bars_(6) {}

	static std::unique_ptr<Device> make(const std::string &bdf,
					    std::string *why,
					    std::string (Device::*attach)())
	{
		std::unique_ptr<Device> d(new Device());
		std::string err = d->bind(bdf);
		if (err.empty())
			err = (d.get()->*attach)();
		if (err.empty())
			err = d->enable();
		if (!err.empty()) {
			if (why)
				*why = bdf + ": " + err;
			return nullptr;
		}
		return d;
	}

	/* The device in vfio-pci's hands. */
	std::string bind(const std::string &bdf)
	{
		bdf_ = bdf;
		if (bdf.empty())
			return "no such device";
		const std::string dir = sysfs(bdf);
		char link[256];
		ssize_t n = ::readlink((dir + "/driver").c_str(), link,
				       sizeof(link) - 1);
		bool bound = false;
		if (n > 0) {
			link[n] = '\0';
			bound = std::strstr(link, "/vfio-pci") != nullptr;
			if (!bound && !writeFile(dir + "/driver/unbind", bdf))
				return "cannot unbind its driver";
		}
		if (!bound) {
			if (!writeFile(dir + "/driver_override", "vfio-pci"))
				return "cannot set driver_override";
			if (!writeFile("/sys/bus/pci/drivers_probe", bdf))
				return "vfio-pci did not take it (is vfio-pci loaded?)";
		}
		return "";
	}

	/* Its group, in a new container with the Type1 IOMMU. */
	std::string openGroup()
	{
		char link[256];
		ssize_t n = ::readlink((sysfs(bdf_) + "/iommu_group").c_str(),
				       link, sizeof(link) - 1);
		if (n <= 0)
			return "no IOMMU group (no IOMMU?)";
		link[n] = '\0';
		const char *slash = std::strrchr(link, '/');
		std::string group = std::string("/dev/vfio/") +
				    (slash ? slash + 1 : link);

		container_ = ::open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		if (container_ < 0)
			return "cannot open /dev/vfio/vfio: " +
			       std::string(std::strerror(errno));
		if (::ioctl(container_, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
			return "unknown VFIO API version";
		group_ = ::open(group.c_str(), O_RDWR | O_CLOEXEC);
		if (group_ < 0)
			return "cannot open " + group + ": " +
			       std::strerror(errno);
		vfio_group_status st{};
		st.argsz = sizeof(st);
		if (::ioctl(group_, VFIO_GROUP_GET_STATUS, &st) ||
		    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
			return "group " + group +
			       " is not viable (all its devices must be bound to vfio-pci)";
		if (::ioctl(group_, VFIO_GROUP_SET_CONTAINER, &container_))
			return "VFIO_GROUP_SET_CONTAINER: " +
			       std::string(std::strerror(errno));
		int type = ::ioctl(container_, VFIO_CHECK_EXTENSION,
				   VFIO_TYPE1v2_IOMMU) == 1 ?
				   VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
		if (::ioctl(container_, VFIO_SET_IOMMU, type))
			return "VFIO_SET_IOMMU: " +
			       std::string(std::strerror(errno));
		device_ = ::ioctl(group_, VFIO_GROUP_GET_DEVICE_FD, bdf_.c_str());
		if (device_ < 0)
			return "VFIO_GROUP_GET_DEVICE_FD: " +
			       std::string(std::strerror(errno));
		return "";
	}

	/* Its device file, bound to a new iommufd, attached to a new IOAS. */
	std::string openCdev()
	{
		std::string name;
		DIR *d = ::opendir((sysfs(bdf_) + "/vfio-dev").c_str());
		if (!d)
			return "no VFIO device file (kernel without VFIO_DEVICE_CDEV?)";
		while (struct dirent *e = ::readdir(d))
			if (!std::strncmp(e->d_name, "vfio", 4))
				name = e->d_name;
		::closedir(d);
		if (name.empty())
			return "no VFIO device file";
		device_ = ::open(("/dev/vfio/devices/" + name).c_str(),
				 O_RDWR | O_CLOEXEC);
		if (device_ < 0)
			return "cannot open /dev/vfio/devices/" + name + ": " +
			       std::strerror(errno);
		iommufd_ = ::open("/dev/iommu", O_RDWR | O_CLOEXEC);
		if (iommufd_ < 0)
			return "cannot open /dev/iommu (kernel without IOMMUFD?): " +
			       std::string(std::strerror(errno));
		vfio_device_bind_iommufd bind{};
		bind.argsz = sizeof(bind);
		bind.iommufd = iommufd_;
		if (::ioctl(device_, VFIO_DEVICE_BIND_IOMMUFD, &bind))
			return "VFIO_DEVICE_BIND_IOMMUFD: " +
			       std::string(std::strerror(errno));
		iommu_ioas_alloc alloc{};
		alloc.size = sizeof(alloc);
		if (::ioctl(iommufd_, IOMMU_IOAS_ALLOC, &alloc))
			return "IOMMU_IOAS_ALLOC: " +
			       std::string(std::strerror(errno));
		ioas_ = alloc.out_ioas_id;
		vfio_device_attach_iommufd_pt attach{};
		attach.argsz = sizeof(attach);
		attach.pt_id = ioas_;
		if (::ioctl(device_, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
			return "VFIO_DEVICE_ATTACH_IOMMUFD_PT: " +
			       std::string(std::strerror(errno));
		return "";
	}

	std::string enable()
	{
		/* Memory space and bus mastering on (command register). */
		std::uint16_t cmd = 0;
		if (!config(4, &cmd, sizeof(cmd), false))
			return "cannot read the command register";
		cmd |= 0x2 | 0x4;
		if (!config(4, &cmd, sizeof(cmd), true))
			return "cannot write the command register";
		return "";
	}

	std::string bdf_;
	int container_ = -1, group_ = -1, device_ = -1, iommufd_ = -1;
	std::uint32_t ioas_ = 0;
	std::vector<Bar> bars_;
};

} // namespace vfio_pci

#endif /* IOBMD_EXAMPLES_VFIO_PCI_HPP */
