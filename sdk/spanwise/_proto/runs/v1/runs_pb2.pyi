from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateExperiment(_message.Message):
    __slots__ = ("experiment_id", "name", "tags", "creation_time_ms")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    experiment_id: str
    name: str
    tags: _containers.ScalarMap[str, str]
    creation_time_ms: int
    def __init__(self, experiment_id: _Optional[str] = ..., name: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ..., creation_time_ms: _Optional[int] = ...) -> None: ...

class RunUpdate(_message.Message):
    __slots__ = ("run_id", "experiment_id", "run_name", "status", "start_time_ms", "end_time_ms", "parent_run_id", "version")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    PARENT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time_ms: int
    end_time_ms: int
    parent_run_id: str
    version: int
    def __init__(self, run_id: _Optional[str] = ..., experiment_id: _Optional[str] = ..., run_name: _Optional[str] = ..., status: _Optional[str] = ..., start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., parent_run_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class Param(_message.Message):
    __slots__ = ("run_id", "key", "value")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    key: str
    value: str
    def __init__(self, run_id: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class Tag(_message.Message):
    __slots__ = ("run_id", "key", "value", "version")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    key: str
    value: str
    version: int
    def __init__(self, run_id: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("run_id", "key", "value", "step", "timestamp_ms")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    key: str
    value: float
    step: int
    timestamp_ms: int
    def __init__(self, run_id: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[float] = ..., step: _Optional[int] = ..., timestamp_ms: _Optional[int] = ...) -> None: ...

class RunEvent(_message.Message):
    __slots__ = ("event_id", "create_experiment", "run_update", "param", "tag", "metric")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    RUN_UPDATE_FIELD_NUMBER: _ClassVar[int]
    PARAM_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    event_id: int
    create_experiment: CreateExperiment
    run_update: RunUpdate
    param: Param
    tag: Tag
    metric: Metric
    def __init__(self, event_id: _Optional[int] = ..., create_experiment: _Optional[_Union[CreateExperiment, _Mapping]] = ..., run_update: _Optional[_Union[RunUpdate, _Mapping]] = ..., param: _Optional[_Union[Param, _Mapping]] = ..., tag: _Optional[_Union[Tag, _Mapping]] = ..., metric: _Optional[_Union[Metric, _Mapping]] = ...) -> None: ...

class LogBatchRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[RunEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[RunEvent, _Mapping]]] = ...) -> None: ...

class LogBatchResponse(_message.Message):
    __slots__ = ("accepted",)
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    def __init__(self, accepted: _Optional[int] = ...) -> None: ...
