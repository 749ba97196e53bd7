#include "jobregistry.h"

#include "contract/feedback.h"
#include "workererror.h"

namespace qfc::worker {

namespace {

class NotImplementedJob final : public Job
{
public:
    explicit NotImplementedJob(contract::JobType type) : m_type(type) { }

    contract::JobType type() const override { return m_type; }
    bool needsQgis() const override { return false; }
    QList<Step> steps(const JobContext &) override
    {
        throw WorkerError(notImplementedMessage(m_type), contract::ErrorTypes::Unknown,
                          QStringLiteral("NotImplementedError"));
    }

private:
    contract::JobType m_type;
};

} // namespace

QString notImplementedMessage(contract::JobType type)
{
    return QStringLiteral("Job type \"%1\" is not implemented in this build.")
        .arg(contract::workerCommand(type));
}

JobRegistry &JobRegistry::instance()
{
    static JobRegistry registry;
    return registry;
}

void JobRegistry::add(contract::JobType type, Factory factory)
{
    m_factories.insert(int(type), std::move(factory));
}

bool JobRegistry::isImplemented(contract::JobType type) const
{
    return m_factories.contains(int(type));
}

std::unique_ptr<Job> JobRegistry::create(contract::JobType type) const
{
    const auto it = m_factories.constFind(int(type));
    if (it != m_factories.constEnd())
        return it.value()();
    return std::make_unique<NotImplementedJob>(type);
}

} // namespace qfc::worker
