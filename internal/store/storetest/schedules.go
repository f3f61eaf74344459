package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

func mkSchedule(ws *lathe.Workspace, name string, tr lathe.ScheduleTrigger, next *time.Time) *lathe.Schedule {
	return &lathe.Schedule{WorkspaceID: ws.ID, Workspace: ws.Name, ID: lathe.NewID(), Name: name, DisplayName: "Nightly " + name,
		Description: "retrain", Tags: map[string]string{"team": "risk"}, Kind: lathe.ScheduleCommand,
		Spec: map[string]any{"command": "echo hi", "resources": map[string]any{}}, Trigger: tr, Enabled: true, NextFireAt: next,
		CreatedAt: t0, CreatedBy: "ann", CreatedByID: "u1", UpdatedAt: t0}
}

func testSchedules(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w, other := mkWorkspace(t, db, "ws"), mkWorkspace(t, db, "other")
	n1, n2 := t0.Add(time.Minute), t0.Add(time.Hour)
	cron := mkSchedule(w, "nightly", lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "0 2 * * *", TimeZone: "Pacific Standard Time"}, &n1)
	rec := mkSchedule(w, "hourly", lathe.ScheduleTrigger{Type: lathe.TriggerRecurrence, Frequency: "week", Interval: 2, WeekDays: []string{"monday"}, Hours: []int{1}, Minutes: []int{0, 30}}, &n2)
	dataS := mkSchedule(w, "on-bank", lathe.ScheduleTrigger{Type: lathe.TriggerData, Data: "bank", Input: "train"}, nil)
	dataS.LastDataVersion = "3"
	otherS := mkSchedule(other, "nightly", cron.Trigger, &n1)
	for _, s := range []*lathe.Schedule{cron, rec, dataS, otherS} {
		if err := db.CreateSchedule(ctx, s); err != nil {
			t.Fatalf("create %s: %v", s.Name, err)
		}
	}
	wantCode(t, db.CreateSchedule(ctx, mkSchedule(w, "nightly", cron.Trigger, nil)), lathe.ECONFLICT)

	got, err := db.Schedule(ctx, w.ID, "hourly")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("Schedule = %+v\nwant %+v", got, rec)
	}
	_, err = db.Schedule(ctx, w.ID, "nope")
	wantCode(t, err, lathe.ENOTFOUND)

	list, err := db.ListSchedules(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if names := scheduleNames(list); !reflect.DeepEqual(names, []string{"hourly", "nightly", "on-bank"}) {
		t.Fatalf("ListSchedules = %v", names)
	}

	// Due: enabled, with a next fire time at or before now, across workspaces.
	due, err := db.DueSchedules(ctx, n1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].Name != "nightly" || due[1].Name != "nightly" || due[0].WorkspaceID == due[1].WorkspaceID {
		t.Fatalf("DueSchedules(n1) = %v", scheduleNames(due))
	}
	if due, _ := db.DueSchedules(ctx, n1, 1); len(due) != 1 {
		t.Fatalf("DueSchedules limit 1 gave %d", len(due))
	}
	if next, err := db.NextFireTime(ctx); err != nil || next == nil || !next.Equal(n1) {
		t.Fatalf("NextFireTime = %v, %v; want %s", next, err, n1)
	}

	// A claim moves the schedule past one firing once: a second claim from
	// the same state loses.
	n3 := n1.Add(24 * time.Hour)
	claim := store.ScheduleClaim{FromNext: &n1, Next: &n3, FiredAt: n1}
	if ok, err := db.ClaimScheduleFire(ctx, cron.ID, claim); err != nil || !ok {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	if ok, err := db.ClaimScheduleFire(ctx, cron.ID, claim); err != nil || ok {
		t.Fatalf("second claim = %v, %v; want false", ok, err)
	}
	if err := db.RecordScheduleJob(ctx, cron.ID, "job-7", "", n1); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Schedule(ctx, w.ID, "nightly")
	if !got.NextFireAt.Equal(n3) || !got.LastFiredAt.Equal(n1) || got.LastJob != "job-7" || got.LastError != "" {
		t.Fatalf("after firing: next %v last %v job %q", got.NextFireAt, got.LastFiredAt, got.LastJob)
	}

	// Data triggers claim by version.
	ds, err := db.DataSchedules(ctx)
	if err != nil || len(ds) != 1 || ds[0].Name != "on-bank" {
		t.Fatalf("DataSchedules = %v, %v", scheduleNames(ds), err)
	}
	if ok, _ := db.ClaimScheduleFire(ctx, dataS.ID, store.ScheduleClaim{FromVersion: "2", Version: "4", FiredAt: n1}); ok {
		t.Fatal("a claim from a stale version won")
	}
	if ok, err := db.ClaimScheduleFire(ctx, dataS.ID, store.ScheduleClaim{FromVersion: "3", Version: "4", FiredAt: n1}); err != nil || !ok {
		t.Fatalf("data claim = %v, %v", ok, err)
	}
	if err := db.RecordScheduleJob(ctx, dataS.ID, "", "compute gpu not found", n1); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Schedule(ctx, w.ID, "on-bank")
	if got.LastDataVersion != "4" || got.LastError != "compute gpu not found" || got.NextFireAt != nil {
		t.Fatalf("data schedule after firing: %+v", got)
	}

	// Disabled schedules are neither due nor claimable.
	if _, err := db.SetScheduleState(ctx, w.ID, "nightly", store.ScheduleState{Enabled: false, At: n1}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueSchedules(ctx, n3.Add(time.Hour), 10); len(due) != 2 || due[0].WorkspaceID != other.ID || due[1].Name != "hourly" {
		t.Fatalf("due after disable = %v", scheduleNames(due))
	}
	if ok, _ := db.ClaimScheduleFire(ctx, cron.ID, store.ScheduleClaim{Next: &n3, FiredAt: n3}); ok {
		t.Fatal("claimed a disabled schedule")
	}
	if _, err := db.SetScheduleState(ctx, w.ID, "on-bank", store.ScheduleState{Enabled: false, At: n1}); err != nil {
		t.Fatal(err)
	}
	if ds, _ := db.DataSchedules(ctx); len(ds) != 0 {
		t.Fatalf("disabled data schedule listed: %v", scheduleNames(ds))
	}
	en, err := db.SetScheduleState(ctx, w.ID, "nightly", store.ScheduleState{Enabled: true, NextFireAt: &n2, At: n2})
	if err != nil || !en.Enabled || !en.NextFireAt.Equal(n2) || !en.UpdatedAt.Equal(n2) {
		t.Fatalf("enable = %+v, %v", en, err)
	}
	_, err = db.SetScheduleState(ctx, w.ID, "nope", store.ScheduleState{At: n2})
	wantCode(t, err, lathe.ENOTFOUND)

	if err := db.DeleteSchedule(ctx, w.ID, "hourly"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteSchedule(ctx, w.ID, "hourly"), lathe.ENOTFOUND)
	if _, err := db.Schedule(ctx, other.ID, "nightly"); err != nil {
		t.Fatalf("the other workspace's schedule went too: %v", err)
	}

	// A workspace with schedules is not empty.
	wantCode(t, db.DeleteWorkspace(ctx, other.ID, other.Name, false), lathe.ECONFLICT)
	if err := db.DeleteWorkspace(ctx, other.ID, other.Name, true); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueSchedules(ctx, n3.Add(time.Hour), 10); len(due) != 1 || due[0].Name != "nightly" || due[0].WorkspaceID != w.ID {
		t.Fatalf("due after deleting the other workspace = %v", scheduleNames(due))
	}
}

func scheduleNames(ss []*lathe.Schedule) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}
