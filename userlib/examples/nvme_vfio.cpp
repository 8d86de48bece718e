// SPDX-License-Identifier: MIT
/*
 * iobmd_nvme_vfio - a minimal userspace NVMe driver: the controller through
 * VFIO, its queues and data in iobmd buffers, every address it is given
 * from an IODMACommand with the container as its mapper.
 *
 *   iobmd_nvme_vfio [PCI-ADDRESS]
 *
 * PCI-ADDRESS ("0000:01:00.0") names an NVMe controller (class 0x010802);
 * without it the example takes QEMU's (1b36:0010), and no other: a real
 * machine's first NVMe may hold its root file system.  Needs root, the
 * iobmd module, an IOMMU, vfio-pci and vfio_iommu_type1; the controller is
 * unbound from its driver and left bound to vfio-pci.  The namespace's
 * data is overwritten where the example writes.
 *
 *   device = vfio_pci::Device::open(address)     group, container, BAR 0
 *   mapper = IOVFIOMapper::withContainer(device->container())
 *   queue  = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(kernel_task,
 *                kIODirectionInOut | kIOMemoryPhysicallyContiguous,
 *                size, 0xFFFFFFFFFFFFF000)       page aligned, 64-bit
 *   dma    = IODMACommand::withSpecification(OutputHost64, 64, page,
 *                kMapped, maxTransfer, alignment, mapper)
 *   dma->setMemoryDescriptor(queue)              prepare: IOMMU mapping
 *   dma->gen64IOVMSegments(...)                  the IOVAs the device uses
 *
 * Steps: reset the controller (CC.EN = 0, CSTS.RDY = 0 within CAP.TO),
 * admin queues (AQA, ASQ, ACQ), enable (CC.EN = 1, wait CSTS.RDY), Identify
 * Controller and Namespace 1 (block size and count), one I/O completion
 * and submission queue pair (polled: no interrupts, INTMS masks the pin),
 * reads and writes whose data buffers are not physically contiguous, each
 * described to the controller by PRP entries made from the segments of a
 * prepare() of just that range: PRP1 alone, PRP1 + PRP2, or PRP2 pointing
 * at a list (a transfer over more than two memory pages).  Then the I/O
 * queues are deleted and the controller shut down (CC.SHN, CSTS.SHST) and
 * disabled before any of its memory leaves the IOMMU.  DMA is taken to be
 * cache coherent (as on x86): queues are read and written in place, and
 * the commands are kMapped, not kNonCoherent.
 *
 * What it checks, and what the host prepares (scripts/nvme-pattern.py,
 * which `make check` runs on the file behind QEMU's NVMe):
 *   - the namespace holds the host pattern: every 8-byte little-endian word
 *     is its byte offset in the namespace XOR kHostKey;
 *   - reads of [0, kReadLength), in several shapes, find it;
 *   - it writes the guest pattern (offset XOR kGuestKey) over
 *     [kWriteOffset, kWriteOffset + kWriteLength), flushes, reads that range
 *     and kGuard bytes either side back, and finds both patterns where
 *     they belong.
 * It exits 0 only when every command succeeded and every word matched; on
 * failure it says what failed (an IOReturn, or the NVMe status) and exits 1.
 */
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <iobmd/iobmd.hpp>

#include "vfio_pci.hpp"

using namespace iobmd;

namespace {

/* --- the data: defined here only (scripts/nvme-pattern.py mirrors it) -- */
constexpr std::uint64_t kHostKey = 0x686F73742D6E766DULL;
constexpr std::uint64_t kGuestKey = 0x67756573742D7772ULL;
constexpr std::uint64_t kReadLength = 1 << 20;
constexpr std::uint64_t kWriteOffset = 3 << 20;
constexpr std::uint64_t kWriteLength = 44 << 10;
constexpr std::uint64_t kGuard = 4 << 10;

/* The word at byte @offset of the namespace. */
std::uint64_t hostWord(std::uint64_t offset) { return offset ^ kHostKey; }
std::uint64_t guestWord(std::uint64_t offset) { return offset ^ kGuestKey; }

static_assert(std::endian::native == std::endian::little,
	      "NVMe structures are little endian; this example does not swap");

/* --- the controller's registers (NVMe base specification) -------------- */
constexpr std::uint32_t kRegCAP = 0x00;   /* capabilities (64-bit) */
constexpr std::uint32_t kRegVS = 0x08;    /* version */
constexpr std::uint32_t kRegINTMS = 0x0c; /* interrupt mask set */
constexpr std::uint32_t kRegCC = 0x14;    /* controller configuration */
constexpr std::uint32_t kRegCSTS = 0x1c;  /* controller status */
constexpr std::uint32_t kRegAQA = 0x24;   /* admin queue sizes */
constexpr std::uint32_t kRegASQ = 0x28;   /* admin SQ base (64-bit) */
constexpr std::uint32_t kRegACQ = 0x30;   /* admin CQ base (64-bit) */
constexpr std::uint32_t kRegDoorbells = 0x1000;

constexpr std::uint32_t kCcEnable = 1u << 0;
constexpr std::uint32_t kCcShutdownNormal = 1u << 14;
constexpr std::uint32_t kCcIoSqEntry64 = 6u << 16; /* log2(64) */
constexpr std::uint32_t kCcIoCqEntry16 = 4u << 20; /* log2(16) */
constexpr std::uint32_t kCstsReady = 1u << 0;
constexpr std::uint32_t kCstsFatal = 1u << 1;
constexpr std::uint32_t kCstsShutdownMask = 3u << 2;
constexpr std::uint32_t kCstsShutdownDone = 2u << 2;

/* --- commands ------------------------------------------------------------ */
constexpr std::uint8_t kAdminDeleteSq = 0x00;
constexpr std::uint8_t kAdminCreateSq = 0x01;
constexpr std::uint8_t kAdminDeleteCq = 0x04;
constexpr std::uint8_t kAdminCreateCq = 0x05;
constexpr std::uint8_t kAdminIdentify = 0x06;
constexpr std::uint8_t kNvmFlush = 0x00;
constexpr std::uint8_t kNvmWrite = 0x01;
constexpr std::uint8_t kNvmRead = 0x02;

constexpr std::uint32_t kCnsNamespace = 0x00;
constexpr std::uint32_t kCnsController = 0x01;
constexpr std::uint32_t kNamespace = 1;
constexpr std::uint16_t kIoQueue = 1;

constexpr std::uint16_t kAdminDepth = 16;
constexpr std::uint16_t kIoDepth = 64;
constexpr std::uint64_t kIdentifySize = 4096;
constexpr std::chrono::seconds kCommandTimeout{30};

/* Queues, the identify page and the PRP list: 4 KiB aligned, anywhere in
 * 64 bits (a mask's lowest set bit is the alignment). */
constexpr mach_vm_address_t kQueueMask = 0xFFFFFFFFFFFFF000ULL;

/* A submission queue entry. */
struct Command {
	std::uint8_t opcode;
	std::uint8_t flags; /* fused 0, PRPs (not SGLs) */
	std::uint16_t cid;
	std::uint32_t nsid;
	std::uint32_t cdw2, cdw3;
	std::uint64_t mptr;
	std::uint64_t prp1, prp2;
	std::uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
static_assert(sizeof(Command) == 64);

/* A completion queue entry; status bit 0 is the phase tag. */
struct Completion {
	std::uint32_t dw0, dw1;
	std::uint16_t sqHead, sqId;
	std::uint16_t cid, status;
};
static_assert(sizeof(Completion) == 16);

const std::uint64_t kPage = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));

/* A line on stderr, after what stdout holds so far. */
[[gnu::format(printf, 1, 2)]] void complain(const char *format, ...)
{
	std::va_list ap;

	std::fflush(stdout);
	std::fputs("iobmd_nvme_vfio: ", stderr);
	va_start(ap, format);
	std::vfprintf(stderr, format, ap);
	va_end(ap);
	std::fputc('\n', stderr);
}

bool failed(const char *what, IOReturn r)
{
	complain("%s: %s (0x%08x)", what, stringFromReturn(r), static_cast<unsigned>(r));
	return false;
}

/* The controller's registers in BAR 0 (32-bit accesses only: a 64-bit
 * register is read and written low half first). */
class Registers {
public:
	explicit Registers(volatile std::uint8_t *bar) : bar_(bar) {}

	std::uint32_t read32(std::uint32_t reg) const
	{
		return *reinterpret_cast<volatile std::uint32_t *>(bar_ + reg);
	}
	void write32(std::uint32_t reg, std::uint32_t value)
	{
		*reinterpret_cast<volatile std::uint32_t *>(bar_ + reg) = value;
	}
	std::uint64_t read64(std::uint32_t reg) const
	{
		std::uint64_t low = read32(reg);
		return low | static_cast<std::uint64_t>(read32(reg + 4)) << 32;
	}
	void write64(std::uint32_t reg, std::uint64_t value)
	{
		write32(reg, static_cast<std::uint32_t>(value));
		write32(reg + 4, static_cast<std::uint32_t>(value >> 32));
	}

private:
	volatile std::uint8_t *bar_;
};

/* Polls @done until it holds or @limit passes. */
template <typename Condition>
bool waitFor(Condition done, std::chrono::milliseconds limit)
{
	auto end = std::chrono::steady_clock::now() + limit;
	for (;;) {
		if (done())
			return true;
		if (std::chrono::steady_clock::now() > end)
			return done();
		std::this_thread::sleep_for(std::chrono::microseconds(20));
	}
}

/*
 * Memory the controller keeps using (a queue, the identify page, the PRP
 * list): a physically contiguous, page-aligned buffer, prepared for the
 * controller once, at one IOVA, until the object goes.
 */
class DeviceMemory {
public:
	static std::unique_ptr<DeviceMemory> make(OSSharedPtr<IOMapper> mapper,
						  std::uint64_t size, IOReturn *error)
	{
		std::unique_ptr<DeviceMemory> m(new DeviceMemory());
		size = (size + kPage - 1) / kPage * kPage;
		m->buffer_ = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
			kernel_task, kIODirectionInOut | kIOMemoryPhysicallyContiguous,
			size, kQueueMask);
		if (!m->buffer_ || !(m->bytes_ = m->buffer_->getBytesNoCopy())) {
			*error = lastError();
			return nullptr;
		}
		std::memset(m->bytes_, 0, size);
		/* No split: the controller takes the queue's base address only. */
		m->dma_ = IODMACommand::withSpecification(
			IODMACommand::OutputHost64, 64, 0, IODMACommand::kMapped, 0,
			static_cast<std::uint32_t>(kPage), mapper);
		if (!m->dma_) {
			*error = lastError();
			return nullptr;
		}
		*error = m->dma_->setMemoryDescriptor(m->buffer_);
		if (*error != kIOReturnSuccess)
			return nullptr;
		IODMACommand::Segment64 segment{};
		std::uint64_t offset = 0;
		std::uint32_t count = 1;
		*error = m->dma_->gen64IOVMSegments(&offset, &segment, &count);
		if (*error != kIOReturnSuccess)
			return nullptr;
		/* One IOVA range, as the IOMMU mapper promises. */
		if (count != 1 || segment.fLength != size || segment.fIOVMAddr % kPage) {
			*error = kIOReturnNotAligned;
			return nullptr;
		}
		m->iova_ = segment.fIOVMAddr;
		return m;
	}

	std::uint64_t iova() const { return iova_; }
	template <typename T> T *as() const { return static_cast<T *>(bytes_); }

private:
	DeviceMemory() = default;

	OSSharedPtr<IOBufferMemoryDescriptor> buffer_;
	OSSharedPtr<IODMACommand> dma_; /* completes at destruction */
	void *bytes_ = nullptr;
	std::uint64_t iova_ = 0;
};

/* A submission queue and its completion queue, one command at a time. */
class QueuePair {
public:
	static std::unique_ptr<QueuePair> make(OSSharedPtr<IOMapper> mapper,
					       Registers regs, std::uint32_t stride,
					       std::uint16_t id, std::uint16_t depth,
					       IOReturn *error)
	{
		std::unique_ptr<QueuePair> q(new QueuePair(regs, depth));
		q->sq_ = DeviceMemory::make(mapper, depth * sizeof(Command), error);
		if (!q->sq_)
			return nullptr;
		q->cq_ = DeviceMemory::make(mapper, depth * sizeof(Completion), error);
		if (!q->cq_)
			return nullptr;
		q->sqDoorbell_ = kRegDoorbells + (2u * id) * stride;
		q->cqDoorbell_ = kRegDoorbells + (2u * id + 1) * stride;
		return q;
	}

	std::uint64_t sqIova() const { return sq_->iova(); }
	std::uint64_t cqIova() const { return cq_->iova(); }

	/*
	 * Submits @cmd and polls for its completion.  kIOReturnDeviceError
	 * when the controller completed it with an error status (in
	 * *@status), kIOReturnTimeout when it did not complete in time.
	 */
	IOReturn execute(Command cmd, std::uint16_t *status)
	{
		cmd.cid = nextCid_++;
		sq_->as<Command>()[sqTail_] = cmd;
		sqTail_ = static_cast<std::uint16_t>((sqTail_ + 1) % depth_);
		/* The entry is in memory before the doorbell tells of it. */
		std::atomic_thread_fence(std::memory_order_release);
		regs_.write32(sqDoorbell_, sqTail_);

		volatile Completion *entry = cq_->as<Completion>() + cqHead_;
		bool done = waitFor([&] { return (entry->status & 1) == phase_; },
				    kCommandTimeout);
		if (!done)
			return kIOReturnTimeout;
		std::atomic_thread_fence(std::memory_order_acquire);
		std::uint16_t cid = entry->cid;
		*status = entry->status >> 1; /* SC in bits 7:0, SCT in 10:8 */
		if (++cqHead_ == depth_) {
			cqHead_ = 0;
			phase_ ^= 1;
		}
		regs_.write32(cqDoorbell_, cqHead_);
		if (cid != cmd.cid)
			return kIOReturnInternalError;
		return *status ? kIOReturnDeviceError : kIOReturnSuccess;
	}

private:
	QueuePair(Registers regs, std::uint16_t depth) : regs_(regs), depth_(depth) {}

	Registers regs_;
	std::uint16_t depth_;
	std::unique_ptr<DeviceMemory> sq_, cq_;
	std::uint32_t sqDoorbell_ = 0, cqDoorbell_ = 0;
	std::uint16_t sqTail_ = 0, cqHead_ = 0, nextCid_ = 0;
	std::uint16_t phase_ = 1; /* the controller's first pass writes 1 */
};

/* A transfer's data as the controller sees it: PRP1, PRP2. */
struct Prp {
	std::uint64_t prp1 = 0, prp2 = 0;
};

class Controller {
public:
	/* Resets and enables the controller behind @device; null on failure
	 * (said on stderr). */
	static std::unique_ptr<Controller> start(vfio_pci::Device &device,
						 OSSharedPtr<IOMapper> mapper)
	{
		std::uint64_t barSize = 0;
		volatile std::uint8_t *bar = device.bar(0, &barSize);
		if (!bar || barSize < 0x2000) {
			failed("BAR 0 (the controller's registers) does not map",
			       kIOReturnNoResources);
			return nullptr;
		}
		std::unique_ptr<Controller> c(new Controller(Registers(bar), std::move(mapper)));
		return c->enable() ? std::move(c) : nullptr;
	}

	/* The controller stops using memory before any of it is unmapped. */
	~Controller() { shutdown(); }

	bool identify();
	bool createIoQueues();
	/* Reads or writes @length bytes at byte @at of the namespace from or
	 * into [offset, offset + length) of @buffer, in as many commands
	 * as the controller's transfer limit needs. */
	bool transfer(std::uint8_t opcode, std::uint64_t at, std::uint64_t length,
		      OSSharedPtr<IOBufferMemoryDescriptor> buffer, std::uint64_t offset);
	bool flush();

	std::uint64_t blockSize() const { return blockSize_; }
	std::uint64_t namespaceBytes() const { return blocks_ * blockSize_; }

private:
	Controller(Registers regs, OSSharedPtr<IOMapper> mapper)
		: regs_(regs), mapper_(std::move(mapper)) {}

	bool enable();
	bool disable();
	void shutdown();
	bool run(QueuePair &queue, const std::string &what, const Command &cmd);
	IOReturn makePrp(std::uint64_t length, Prp *prp);

	Registers regs_;
	OSSharedPtr<IOMapper> mapper_;
	std::chrono::milliseconds readyTimeout_{500};
	std::uint32_t stride_ = 4;
	std::uint64_t maxTransfer_ = 0;
	bool enabled_ = false; /* CC.EN = 1 and CSTS.RDY seen */
	std::unique_ptr<QueuePair> adminQueue_, ioQueue_;
	bool sqCreated_ = false, cqCreated_ = false;
	std::unique_ptr<DeviceMemory> identify_, prpList_;
	OSSharedPtr<IODMACommand> data_; /* the current transfer's */
	std::uint64_t blockSize_ = 0, blocks_ = 0;
};

bool Controller::disable()
{
	enabled_ = false;
	regs_.write32(kRegCC, regs_.read32(kRegCC) & ~kCcEnable);
	if (!waitFor([&] { return !(regs_.read32(kRegCSTS) & kCstsReady); }, readyTimeout_))
		return failed("CSTS.RDY stays set after CC.EN = 0", kIOReturnTimeout);
	return true;
}

bool Controller::enable()
{
	std::uint64_t cap = regs_.read64(kRegCAP);
	std::uint32_t vs = regs_.read32(kRegVS);
	unsigned mqes = static_cast<unsigned>(cap & 0xffff) + 1;
	unsigned timeout = static_cast<unsigned>(cap >> 24) & 0xff; /* 500 ms units */
	unsigned dstrd = static_cast<unsigned>(cap >> 32) & 0xf;
	bool nvmCommandSet = (cap >> 37) & 1;
	unsigned mpsMin = static_cast<unsigned>(cap >> 48) & 0xf;
	unsigned mpsMax = static_cast<unsigned>(cap >> 52) & 0xf;
	unsigned mps = static_cast<unsigned>(std::countr_zero(kPage)) - 12;

	std::printf("iobmd_nvme_vfio: NVMe %u.%u, CAP 0x%016" PRIx64 ": up to %u entries a queue,"
		    " ready within %u ms, pages of %llu..%llu bytes\n",
		    vs >> 16, (vs >> 8) & 0xff, cap, mqes, timeout * 500,
		    1ULL << (12 + mpsMin), 1ULL << (12 + mpsMax));
	readyTimeout_ = std::chrono::milliseconds(std::max(1u, timeout) * 500);
	stride_ = 4u << dstrd;
	if (!nvmCommandSet || mps < mpsMin || mps > mpsMax || mqes < 2)
		return failed("the controller does not do the NVM command set in this "
			      "machine's pages", kIOReturnUnsupported);

	/* Reset: CC.EN 1 -> 0 clears every queue. */
	if (!disable())
		return false;
	/* This driver polls: the pin interrupt (vector 0) stays masked. */
	regs_.write32(kRegINTMS, 0xffffffff);

	IOReturn r;
	std::uint16_t depth = static_cast<std::uint16_t>(std::min<unsigned>(kAdminDepth, mqes));
	adminQueue_ = QueuePair::make(mapper_, regs_, stride_, 0, depth, &r);
	if (!adminQueue_)
		return failed("admin queues", r);
	regs_.write32(kRegAQA, (depth - 1u) << 16 | (depth - 1u));
	regs_.write64(kRegASQ, adminQueue_->sqIova());
	regs_.write64(kRegACQ, adminQueue_->cqIova());
	regs_.write32(kRegCC, kCcIoCqEntry16 | kCcIoSqEntry64 | mps << 7 | kCcEnable);
	if (!waitFor([&] { return regs_.read32(kRegCSTS) & (kCstsReady | kCstsFatal); },
		     readyTimeout_))
		return failed("CSTS.RDY not set within CAP.TO after CC.EN = 1", kIOReturnTimeout);
	if (regs_.read32(kRegCSTS) & kCstsFatal)
		return failed("the controller reports a fatal status (CSTS.CFS)",
			      kIOReturnNotResponding);
	enabled_ = true;

	/* MDTS counts pages of CAP.MPSMIN; one PRP list page bounds a
	 * transfer too (this driver does not chain lists). */
	identify_ = DeviceMemory::make(mapper_, kIdentifySize, &r);
	if (!identify_)
		return failed("identify buffer", r);
	prpList_ = DeviceMemory::make(mapper_, kPage, &r);
	if (!prpList_)
		return failed("PRP list", r);
	return true;
}

/*
 * Runs @cmd on @queue; says what failed.  A command that does not complete
 * in time may still be using its memory: the controller is disabled then,
 * before the caller's complete() takes that memory out of the IOMMU.
 */
bool Controller::run(QueuePair &queue, const std::string &what, const Command &cmd)
{
	std::uint16_t status = 0;
	IOReturn r = queue.execute(cmd, &status);
	if (r == kIOReturnSuccess)
		return true;
	if (r == kIOReturnDeviceError)
		complain("%s: status code type %u, status code 0x%02x", what.c_str(),
			 (status >> 8) & 7, status & 0xff);
	if (r == kIOReturnTimeout)
		disable();
	return failed(what.c_str(), r);
}

bool Controller::identify()
{
	const auto *id = identify_->as<std::uint8_t>();
	Command cmd{};
	cmd.opcode = kAdminIdentify;
	cmd.prp1 = identify_->iova();
	cmd.cdw10 = kCnsController;
	if (!run(*adminQueue_, "Identify Controller", cmd))
		return false;
	auto text = [&](unsigned at, unsigned len) {
		std::string s(reinterpret_cast<const char *>(id + at), len);
		return s.substr(0, s.find_last_not_of(' ') + 1);
	};
	unsigned mdts = id[77];
	std::uint32_t nn;
	std::memcpy(&nn, id + 516, sizeof(nn));
	std::uint64_t mpsMinBytes = 1ULL << (12 + ((regs_.read64(kRegCAP) >> 48) & 0xf));
	maxTransfer_ = (kPage / sizeof(std::uint64_t)) * kPage;
	if (mdts)
		maxTransfer_ = std::min(maxTransfer_, mpsMinBytes << mdts);
	std::printf("iobmd_nvme_vfio: %s, serial %s, firmware %s: %u namespace(s), "
		    "transfers up to %llu KiB\n", text(24, 40).c_str(), text(4, 20).c_str(),
		    text(64, 8).c_str(), nn, static_cast<unsigned long long>(maxTransfer_ >> 10));
	if (nn < kNamespace)
		return failed("the controller has no namespace 1", kIOReturnNoMedia);

	std::memset(identify_->as<std::uint8_t>(), 0, kIdentifySize);
	cmd.nsid = kNamespace;
	cmd.cdw10 = kCnsNamespace;
	if (!run(*adminQueue_, "Identify Namespace 1", cmd))
		return false;
	std::memcpy(&blocks_, id, sizeof(blocks_)); /* NSZE */
	unsigned format = id[26] & 0xf;             /* FLBAS */
	const std::uint8_t *lbaf = id + 128 + 4 * format;
	std::uint16_t metadata;
	std::memcpy(&metadata, lbaf, sizeof(metadata));
	blockSize_ = 1ULL << lbaf[2]; /* LBADS */
	std::printf("iobmd_nvme_vfio: namespace 1: %" PRIu64 " blocks of %" PRIu64 " bytes\n",
		    blocks_, blockSize_);
	if (!blocks_ || metadata || blockSize_ < 512 || blockSize_ > kPage)
		return failed("namespace 1 is empty, has metadata, or has blocks larger "
			      "than a page", kIOReturnUnsupported);
	return true;
}

bool Controller::createIoQueues()
{
	IOReturn r;
	std::uint64_t cap = regs_.read64(kRegCAP);
	auto depth = static_cast<std::uint16_t>(std::min<unsigned>(kIoDepth, (cap & 0xffff) + 1));
	ioQueue_ = QueuePair::make(mapper_, regs_, stride_, kIoQueue, depth, &r);
	if (!ioQueue_)
		return failed("I/O queues", r);
	std::uint32_t sizeAndId = static_cast<std::uint32_t>(depth - 1) << 16 | kIoQueue;

	Command cmd{};
	cmd.opcode = kAdminCreateCq;
	cmd.prp1 = ioQueue_->cqIova();
	cmd.cdw10 = sizeAndId;
	cmd.cdw11 = 1; /* physically contiguous; no interrupts */
	if (!run(*adminQueue_, "Create I/O Completion Queue", cmd))
		return false;
	cqCreated_ = true;

	cmd = Command{};
	cmd.opcode = kAdminCreateSq;
	cmd.prp1 = ioQueue_->sqIova();
	cmd.cdw10 = sizeAndId;
	cmd.cdw11 = static_cast<std::uint32_t>(kIoQueue) << 16 | 1; /* its CQ; contiguous */
	if (!run(*adminQueue_, "Create I/O Submission Queue", cmd))
		return false;
	sqCreated_ = true;

	/* Every transfer: 64-bit IOVAs, split at pages (PRP entries
	 * cover a page at most), dword-aligned start (PRP1's offset). */
	data_ = IODMACommand::withSpecification(IODMACommand::OutputHost64, 64, kPage,
						IODMACommand::kMapped, maxTransfer_, 4, mapper_);
	if (!data_)
		return failed("IODMACommand::withSpecification", lastError());
	std::printf("iobmd_nvme_vfio: I/O queue pair %u, %u entries\n", kIoQueue, depth);
	return true;
}

/*
 * The PRP entries of the prepared transfer (data_): the IOVA of each memory
 * page it touches, the first one with its offset in the page.  One entry:
 * PRP1; two: PRP1 and PRP2; more: PRP1 and, in PRP2, the list of the rest.
 * Segments may be split anywhere (IOKit splits at fMaxSegmentSize from a
 * segment's start); where one does not follow on from the one before, the
 * jump must be from a page's end to a page's start, as PRPs can only say.
 */
IOReturn Controller::makePrp(std::uint64_t length, Prp *prp)
{
	std::vector<std::uint64_t> entries;
	std::uint64_t offset = 0, end = 0;
	while (offset < length) {
		IODMACommand::Segment64 segments[16];
		std::uint32_t count = 16;
		IOReturn r = data_->gen64IOVMSegments(&offset, segments, &count);
		if (r != kIOReturnSuccess)
			return r;
		for (std::uint32_t i = 0; i < count; i++) {
			std::uint64_t at = segments[i].fIOVMAddr;
			if (entries.empty()) {
				entries.push_back(at);
			} else {
				if (at != end && (at % kPage || end % kPage))
					return kIOReturnNotAligned;
				if (at % kPage == 0)
					entries.push_back(at);
			}
			end = at + segments[i].fLength;
			for (at = (at / kPage + 1) * kPage; at < end; at += kPage)
				entries.push_back(at);
		}
	}
	if (entries.empty() || entries.size() > 1 + kPage / sizeof(std::uint64_t))
		return kIOReturnBadArgument;
	prp->prp1 = entries[0];
	if (entries.size() == 2) {
		prp->prp2 = entries[1];
	} else if (entries.size() > 2) {
		std::copy(entries.begin() + 1, entries.end(), prpList_->as<std::uint64_t>());
		prp->prp2 = prpList_->iova();
	}
	return kIOReturnSuccess;
}

bool Controller::transfer(std::uint8_t opcode, std::uint64_t at, std::uint64_t length,
			  OSSharedPtr<IOBufferMemoryDescriptor> buffer, std::uint64_t offset)
{
	const char *what = opcode == kNvmRead ? "Read" : "Write";
	if (at % blockSize_ || length % blockSize_ || at + length > namespaceBytes())
		return failed(what, kIOReturnBadArgument);
	IOReturn r = data_->setMemoryDescriptor(buffer, false);
	if (r != kIOReturnSuccess)
		return failed("IODMACommand::setMemoryDescriptor", r);
	/* clearMemoryDescriptor() completes what is prepared, on every path. */
	struct Clear {
		IODMACommand *dma;
		~Clear() { (void)dma->clearMemoryDescriptor(); }
	} clear{data_.get()};

	while (length) {
		std::uint64_t chunk = std::min(length, maxTransfer_ - (offset % kPage));
		chunk -= chunk % blockSize_;
		r = data_->prepare(offset, chunk);
		if (r != kIOReturnSuccess)
			return failed("IODMACommand::prepare", r);
		Prp prp;
		r = makePrp(chunk, &prp);
		if (r != kIOReturnSuccess)
			return failed("PRP entries from gen64IOVMSegments", r);
		Command cmd{};
		cmd.opcode = opcode;
		cmd.nsid = kNamespace;
		cmd.prp1 = prp.prp1;
		cmd.prp2 = prp.prp2;
		std::uint64_t lba = at / blockSize_;
		cmd.cdw10 = static_cast<std::uint32_t>(lba);
		cmd.cdw11 = static_cast<std::uint32_t>(lba >> 32);
		cmd.cdw12 = static_cast<std::uint32_t>(chunk / blockSize_ - 1);
		bool done = run(*ioQueue_, std::string(what) + " of " + std::to_string(chunk) +
				" bytes at " + std::to_string(at), cmd);
		r = data_->complete();
		if (!done)
			return false;
		if (r != kIOReturnSuccess)
			return failed("IODMACommand::complete", r);
		at += chunk;
		offset += chunk;
		length -= chunk;
	}
	return true;
}

bool Controller::flush()
{
	Command cmd{};
	cmd.opcode = kNvmFlush;
	cmd.nsid = kNamespace;
	return run(*ioQueue_, "Flush", cmd);
}

void Controller::shutdown()
{
	if (!adminQueue_)
		return; /* never given any memory */
	if (!enabled_) {
		disable();
		return;
	}
	if (sqCreated_) {
		Command cmd{};
		cmd.opcode = kAdminDeleteSq;
		cmd.cdw10 = kIoQueue;
		sqCreated_ = !run(*adminQueue_, "Delete I/O Submission Queue", cmd);
	}
	if (cqCreated_ && !sqCreated_) {
		Command cmd{};
		cmd.opcode = kAdminDeleteCq;
		cmd.cdw10 = kIoQueue;
		cqCreated_ = !run(*adminQueue_, "Delete I/O Completion Queue", cmd);
	}
	/* A normal shutdown: the controller finishes writing its media;
	 * then disabled, it no longer reads or writes memory. */
	regs_.write32(kRegCC, (regs_.read32(kRegCC) & ~(3u << 14)) | kCcShutdownNormal);
	if (!waitFor([&] { return (regs_.read32(kRegCSTS) & kCstsShutdownMask) ==
				  kCstsShutdownDone; }, readyTimeout_))
		failed("CSTS.SHST does not say the shutdown is complete", kIOReturnTimeout);
	disable();
}

/* A buffer as a data transfer gets it: page aligned, not contiguous. */
OSSharedPtr<IOBufferMemoryDescriptor> dataBuffer(std::uint64_t size)
{
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(kernel_task, kIODirectionInOut,
							      size, kPage);
	if (!b)
		failed("IOBufferMemoryDescriptor::inTaskWithOptions", lastError());
	else if (!b->getBytesNoCopy())
		failed("getBytesNoCopy", lastError()), b = nullptr;
	return b;
}

/* Whether [at, at + length) of the namespace, read into @bytes, holds the
 * guest pattern in the written range and the host pattern elsewhere. */
bool check(const char *what, const std::uint8_t *bytes, std::uint64_t at,
	   std::uint64_t length, bool written)
{
	std::uint64_t wrong = 0, first = 0;
	for (std::uint64_t i = 0; i < length; i += 8) {
		std::uint64_t o = at + i, word;
		std::memcpy(&word, bytes + i, sizeof(word));
		bool guest = written && o >= kWriteOffset && o < kWriteOffset + kWriteLength;
		if (word != (guest ? guestWord(o) : hostWord(o)) && !wrong++)
			first = o;
	}
	if (wrong) {
		complain("%s: %" PRIu64 " of %" PRIu64 " words differ, the first at byte %" PRIu64,
			 what, wrong, length / 8, first);
		return false;
	}
	std::printf("iobmd_nvme_vfio: %s: %" PRIu64 " bytes at %" PRIu64 " as expected\n",
		    what, length, at);
	return true;
}

/* One read: [at, at + length) of the namespace into @buffer at @offset,
 * over bytes that cannot pass for the pattern. */
bool readAndCheck(Controller &nvme, const char *what, OSSharedPtr<IOBufferMemoryDescriptor> buffer,
		  std::uint64_t offset, std::uint64_t at, std::uint64_t length, bool written)
{
	auto *bytes = static_cast<std::uint8_t *>(buffer->getBytesNoCopy()) + offset;
	std::memset(bytes, 0xa5, length);
	return nvme.transfer(kNvmRead, at, length, buffer, offset) &&
	       check(what, bytes, at, length, written);
}

} // namespace

int main(int argc, char **argv)
{
	/* Only QEMU's controller is taken unasked: on a real machine the
	 * first NVMe may well hold the root file system. */
	std::string address = argc > 1 ? argv[1] : vfio_pci::find(0x1b36, 0x0010);
	if (address.empty()) {
		complain("no QEMU NVMe controller (1b36:0010); give the PCI address of one");
		return 1;
	}
	if (vfio_pci::readHex(vfio_pci::sysfs(address) + "/class") != 0x010802) {
		complain("%s is not an NVMe controller (PCI class 0x010802)", address.c_str());
		return 1;
	}
	std::string why;
	std::unique_ptr<vfio_pci::Device> device = vfio_pci::Device::open(address, &why);
	if (!device) {
		complain("%s", why.c_str());
		return 1;
	}
	OSSharedPtr<IOVFIOMapper> mapper = IOVFIOMapper::withContainer(device->container());
	if (!mapper)
		return failed("IOVFIOMapper::withContainer", lastError()), 1;
	std::printf("iobmd_nvme_vfio: %s through VFIO, IOMMU pages of %llu bytes\n",
		    address.c_str(), static_cast<unsigned long long>(mapper->getPageSize()));

	std::unique_ptr<Controller> nvme = Controller::start(*device, mapper);
	if (!nvme || !nvme->identify() || !nvme->createIoQueues())
		return 1;
	if (nvme->namespaceBytes() < kWriteOffset + kWriteLength + kGuard)
		return failed("namespace 1 is smaller than the range this example writes",
			      kIOReturnNoSpace), 1;

	/* Reads of the host's pattern, in each shape a transfer can take.
	 * (The buffer has a page to spare for the unaligned one.) */
	const std::uint64_t block = nvme->blockSize();
	auto in = dataBuffer(kReadLength + kPage);
	if (!in)
		return 1;
	bool ok = readAndCheck(*nvme, "one block (PRP1)", in, 0, 0, block, false) &&
		  readAndCheck(*nvme, "two pages (PRP1, PRP2)", in, 0, 2 * kPage, 2 * kPage, false) &&
		  readAndCheck(*nvme, "three pages from 0x200 into one (PRP1 + 0x200, list)",
			       in, 0x200, 64 << 10, 3 * kPage, false) &&
		  readAndCheck(*nvme, "the first MiB (PRP lists, split at the transfer limit)",
			       in, 0, 0, kReadLength, false);
	if (!ok)
		return 1;

	/* The guest's pattern over [kWriteOffset, + kWriteLength), then that
	 * range and its neighbours back into a fresh buffer. */
	auto out = dataBuffer(kWriteLength);
	if (!out)
		return 1;
	auto *words = static_cast<std::uint64_t *>(out->getBytesNoCopy());
	for (std::uint64_t i = 0; i < kWriteLength / 8; i++)
		words[i] = guestWord(kWriteOffset + 8 * i);
	if (!nvme->transfer(kNvmWrite, kWriteOffset, kWriteLength, out, 0) || !nvme->flush())
		return 1;
	std::printf("iobmd_nvme_vfio: wrote %" PRIu64 " bytes at %" PRIu64 " (%" PRIu64
		    " blocks from %" PRIu64 ")\n", kWriteLength, kWriteOffset,
		    kWriteLength / block, kWriteOffset / block);
	auto back = dataBuffer(kWriteLength + 2 * kGuard);
	if (!back || !readAndCheck(*nvme, "what was written, and a page either side", back, 0,
				   kWriteOffset - kGuard, kWriteLength + 2 * kGuard, true))
		return 1;
	return 0;
}
